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

/// <summary>A credit type (Koha's account_credit_types), as stored and on the wire.</summary>
public sealed record CreditTypeDto(string Code, string Description, bool CanBeAddedManually, bool IsSystem, bool Archived)
    : IReferenceTypeRow;

public sealed record CreateCreditTypeRequest(string Code, string Description, bool? CanBeAddedManually = null);

/// <summary>PUT body: fields left out keep their value; code, is_system and archived may be echoed, not changed.</summary>
public sealed record UpdateCreditTypeRequest(
    string Description, bool? CanBeAddedManually = null, string? Code = null, bool? IsSystem = null, bool? Archived = null);

/// <summary>
/// <c>/api/v1/credit_types</c>: the kinds of credit (PAYMENT, WRITEOFF, REFUND ...). The system types are
/// seeded and used by Fiscus itself; libraries may add their own.
/// </summary>
public static class CreditTypesApi
{
    internal static readonly TypeTable Table = new("credit_types", "credit_type", "credit type", "CreditType", "Credit types",
        "code, description, can_be_added_manually, is_system, archived", KohaLists.CreditTypes);

    public static RouteGroupBuilder MapCreditTypes(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapReferenceType<CreditTypeDto, CreditTypeDto>(Table, (row, _) => row);
        group.MapPost("/", CreateAsync).RequireAuthorization(Scopes.ReferenceWrite)
            .WithName("addCreditType").WithSummary("Add a credit type");
        group.MapPut("/{code}", UpdateAsync).RequireAuthorization(Scopes.ReferenceWrite)
            .WithName("updateCreditType").WithSummary("Update a credit type");
        return group;
    }

    static async Task<Results<Created<CreditTypeDto>, ProblemHttpResult>> CreateAsync(
        CreateCreditTypeRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var validation = new Validation().Code("code", request.Code, 80).Text("description", request.Description, 200);
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<CreditTypeDto>>(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var row = await connection.QuerySingleOrDefaultAsync<CreditTypeDto>(new CommandDefinition($"""
                INSERT INTO credit_types (code, description, can_be_added_manually, created_at, updated_at)
                VALUES (@Code, @Description, @manual, @now, @now)
                ON CONFLICT (code) DO NOTHING
                RETURNING {Table.Columns}
                """, new { request.Code, request.Description, manual = request.CanBeAddedManually ?? true, now },
                transaction, cancellationToken: cancellationToken));
            if (row is null)
            {
                return Table.CodeExists(request.Code);
            }
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "credit_type.create", Table.Entity,
                row.Code, row, cancellationToken);
            return row;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Created(Table.Location(outcome.Value!.Code), outcome.Value) : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<CreditTypeDto>, ProblemHttpResult>> UpdateAsync(
        string code, UpdateCreditTypeRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var validation = new Validation().Text("description", request.Description, 200);
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<CreditTypeDto>>(db, async (connection, transaction) =>
        {
            var locked = await ReferenceTypeEndpoints.LockForUpdateAsync<CreditTypeDto>(connection, transaction, Table, code,
                request.Code, request.IsSystem, request.Archived, cancellationToken);
            if (locked.Failure is { } lockFailure)
            {
                return lockFailure;
            }
            var before = locked.Value!;
            var manual = request.CanBeAddedManually ?? before.CanBeAddedManually;
            if (before.IsSystem && manual != before.CanBeAddedManually)
            {
                return Failure.Conflict("system_type", $"{code} is a system credit type: only its description can change.");
            }
            var now = time.GetUtcNow();
            var row = await connection.QuerySingleAsync<CreditTypeDto>(new CommandDefinition($"""
                UPDATE credit_types SET description = @Description, can_be_added_manually = @manual, updated_at = @now
                WHERE code = @code
                RETURNING {Table.Columns}
                """, new { request.Description, manual, now, code }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "credit_type.update", Table.Entity,
                code, new { from = before, to = row }, cancellationToken);
            return row;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : ApiProblems.From(outcome.Failure!);
    }
}
