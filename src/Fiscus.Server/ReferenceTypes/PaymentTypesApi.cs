using Fiscus.Ledger.Audit;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Fiscus.Server.ReferenceTypes;

/// <summary>
/// A payment type (Koha's PAYMENT_TYPE authorised values), as stored and on the wire. <c>counts_as_cash</c>
/// means the money is physically in a drawer: it needs a register and is counted at cash-up. It is also FOLIO's
/// payment method <c>payment_type_id</c> (its <c>id</c> at <c>/payments</c>), filed under <c>owner_id</c>.
/// </summary>
public sealed record PaymentTypeDto(
    string Code, string Description, bool CountsAsCash, bool AllowedRefund, bool IsSystem, bool Archived, Guid PaymentTypeId, Guid? OwnerId)
    : IReferenceTypeRow;

public sealed record CreatePaymentTypeRequest(string Code, string Description, bool? CountsAsCash = null, bool? AllowedRefund = null);

/// <summary>
/// PUT body: fields left out keep their value; code, is_system, archived and payment_type_id may be echoed, not
/// changed; owner_id files the type under another fee/fine owner.
/// </summary>
public sealed record UpdatePaymentTypeRequest(
    string Description, bool? CountsAsCash = null, bool? AllowedRefund = null, string? Code = null, bool? IsSystem = null,
    bool? Archived = null, Guid? PaymentTypeId = null, Guid? OwnerId = null);

/// <summary>
/// <c>/api/v1/payment_types</c>: how money was paid (CASH, CARD, SIP00 ...). CASH and SIP00 are system
/// types; libraries add their own.
/// </summary>
public static class PaymentTypesApi
{
    internal static readonly TypeTable Table = new("payment_types", "payment_type", "payment type", "PaymentType", "Payment types",
        "code, description, counts_as_cash, allowed_refund, is_system, archived, payment_type_uuid AS payment_type_id, owner_id",
        KohaLists.PaymentTypes, UnarchiveScopes: Scopes.AddPaymentType);

    public static RouteGroupBuilder MapPaymentTypes(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapReferenceType<PaymentTypeDto, PaymentTypeDto>(Table, (row, _) => row);
        group.MapPost("/", CreateAsync).RequireAuthorization(Scopes.AddPaymentType)
            .WithName("addPaymentType").WithSummary("Add a payment type");
        group.MapPut("/{code}", UpdateAsync).RequireAuthorization(Scopes.ReferenceWrite)
            .WithName("updatePaymentType").WithSummary("Update a payment type");
        return group;
    }

    static async Task<Results<Created<PaymentTypeDto>, ProblemHttpResult>> CreateAsync(
        CreatePaymentTypeRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var validation = new Validation().Code("code", request.Code, 80).Text("description", request.Description, 200);
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<PaymentTypeDto>>(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var row = await connection.QuerySingleOrDefaultAsync<PaymentTypeDto>(new CommandDefinition($"""
                INSERT INTO payment_types (code, payment_type_uuid, description, counts_as_cash, allowed_refund, created_at, updated_at,
                                           created_by_uuid, created_by_name, updated_by_uuid, updated_by_name)
                VALUES (@Code, @uuid, @Description, @countsAsCash, @allowedRefund, @now, @now, @actorUuid, @actorName, @actorUuid, @actorName)
                ON CONFLICT (code) DO NOTHING
                RETURNING {Table.Columns}
                """,
                new
                {
                    request.Code, uuid = Guid.NewGuid(), request.Description, countsAsCash = request.CountsAsCash ?? false,
                    allowedRefund = request.AllowedRefund ?? true, now, actorUuid = caller.Uuid, actorName = caller.Name,
                },
                transaction, cancellationToken: cancellationToken));
            if (row is null)
            {
                return Table.CodeExists(request.Code);
            }
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "payment_type.create", Table.Entity,
                row.Code, row, cancellationToken);
            return row;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Created(Table.Location(outcome.Value!.Code), outcome.Value) : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<PaymentTypeDto>, ProblemHttpResult>> UpdateAsync(
        string code, UpdatePaymentTypeRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var validation = new Validation().Text("description", request.Description, 200);
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<PaymentTypeDto>>(db, async (connection, transaction) =>
        {
            var locked = await ReferenceTypeEndpoints.LockForUpdateAsync<PaymentTypeDto>(connection, transaction, Table, code,
                request.Code, request.IsSystem, request.Archived, cancellationToken);
            if (locked.Failure is { } lockFailure)
            {
                return lockFailure;
            }
            var before = locked.Value!;
            if (request.PaymentTypeId is { } echoed && echoed != before.PaymentTypeId)
            {
                return Failure.Invalid("payment_type_id", "payment_type_id cannot change");
            }
            var ownerId = request.OwnerId ?? before.OwnerId;
            if (ownerId != before.OwnerId && !await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM fee_fine_owners WHERE owner_id = @ownerId)", new { ownerId }, transaction,
                    cancellationToken: cancellationToken)))
            {
                return Failure.Invalid("unknown_owner", "owner_id", $"There is no fee/fine owner {ownerId}.");
            }
            var countsAsCash = request.CountsAsCash ?? before.CountsAsCash;
            var allowedRefund = request.AllowedRefund ?? before.AllowedRefund;
            // Whether a tender is counted in a drawer decides whether a payment in it needs a register and a count: turning
            // that off is a tender nobody counts, as adding one is (Scopes.AddPaymentType).
            if (countsAsCash != before.CountsAsCash && !caller.HasScope(Scopes.RefundsWrite))
            {
                return Failure.Forbidden("forbidden",
                    $"Changing whether a payment type counts as cash needs the {Scopes.RefundsWrite} permission as well, which the caller does not have.");
            }
            if (before.IsSystem && countsAsCash != before.CountsAsCash)
            {
                return Failure.Conflict("system_type", $"{code} is a system payment type: whether it counts as cash cannot change.");
            }
            var now = time.GetUtcNow();
            var row = await connection.QuerySingleAsync<PaymentTypeDto>(new CommandDefinition($"""
                UPDATE payment_types
                SET description = @Description, counts_as_cash = @countsAsCash, allowed_refund = @allowedRefund, owner_id = @ownerId,
                    updated_at = @now, updated_by_uuid = @actorUuid, updated_by_name = @actorName
                WHERE code = @code
                RETURNING {Table.Columns}
                """, new { request.Description, countsAsCash, allowedRefund, ownerId, now, code, actorUuid = caller.Uuid, actorName = caller.Name },
                transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "payment_type.update", Table.Entity,
                code, new { from = before, to = row }, cancellationToken);
            return row;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : ApiProblems.From(outcome.Failure!);
    }
}
