using Fiscus.Ledger.Audit;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Money;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Fiscus.Server.ReferenceTypes;

public sealed record DebitTypeRow(
    string Code, string Description, long? DefaultAmountMinor, bool CanBeSold, bool CanBeInvoiced, bool RestrictsCheckouts,
    bool IsSystem, bool Archived) : IReferenceTypeRow;

/// <summary>A debit type on the wire (Koha's account_debit_types).</summary>
public sealed record DebitTypeDto(
    string Code, string Description, decimal? DefaultAmount, bool CanBeSold, bool CanBeInvoiced, bool RestrictsCheckouts,
    bool IsSystem, bool Archived)
{
    public static DebitTypeDto From(DebitTypeRow row, Currency currency) => new(
        row.Code, row.Description, row.DefaultAmountMinor is { } amount ? currency.ToMajor(amount) : null, row.CanBeSold,
        row.CanBeInvoiced, row.RestrictsCheckouts, row.IsSystem, row.Archived);
}

public sealed record CreateDebitTypeRequest(
    string Code, string Description, decimal? DefaultAmount = null, bool? CanBeSold = null, bool? CanBeInvoiced = null,
    bool? RestrictsCheckouts = null);

/// <summary>
/// PUT body: fields left out keep their value (<c>default_amount: 0</c> clears it); code, is_system and
/// archived may be echoed, not changed.
/// </summary>
public sealed record UpdateDebitTypeRequest(
    string Description, decimal? DefaultAmount = null, bool? CanBeSold = null, bool? CanBeInvoiced = null,
    bool? RestrictsCheckouts = null, string? Code = null, bool? IsSystem = null, bool? Archived = null);

/// <summary><c>/api/v1/debit_types</c>: what a patron or a customer can be charged for.</summary>
public static class DebitTypesApi
{
    internal static readonly TypeTable Table = new("debit_types", "debit_type", "debit type", "DebitType", "Debit types",
        "code, description, default_amount_minor, can_be_sold, can_be_invoiced, restricts_checkouts, is_system, archived",
        KohaLists.DebitTypes);

    public static RouteGroupBuilder MapDebitTypes(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapReferenceType<DebitTypeRow, DebitTypeDto>(Table, DebitTypeDto.From);
        group.MapPost("/", CreateAsync).RequireAuthorization(Scopes.ReferenceWrite)
            .WithName("addDebitType").WithSummary("Add a debit type");
        group.MapPut("/{code}", UpdateAsync).RequireAuthorization(Scopes.ReferenceWrite)
            .WithName("updateDebitType").WithSummary("Update a debit type");
        return group;
    }

    static async Task<Results<Created<DebitTypeDto>, ProblemHttpResult>> CreateAsync(
        CreateDebitTypeRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        var validation = new Validation().Code("code", request.Code, 80).Text("description", request.Description, 200);
        var amount = WireMoney.ToMinor(validation, "default_amount", request.DefaultAmount, options.Currency, WireMoney.Sign.Positive, false);
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<DebitTypeRow>>(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var row = await connection.QuerySingleOrDefaultAsync<DebitTypeRow>(new CommandDefinition($"""
                INSERT INTO debit_types (code, description, default_amount_minor, can_be_sold, can_be_invoiced, restricts_checkouts,
                                         created_at, updated_at)
                VALUES (@Code, @Description, @amount, @canBeSold, @canBeInvoiced, @restrictsCheckouts, @now, @now)
                ON CONFLICT (code) DO NOTHING
                RETURNING {Table.Columns}
                """,
                new
                {
                    request.Code, request.Description, amount, canBeSold = request.CanBeSold ?? false,
                    canBeInvoiced = request.CanBeInvoiced ?? true, restrictsCheckouts = request.RestrictsCheckouts ?? true, now,
                },
                transaction, cancellationToken: cancellationToken));
            if (row is null)
            {
                return Table.CodeExists(request.Code);
            }
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "debit_type.create", Table.Entity,
                row.Code, row, cancellationToken);
            return row;
        }, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created(Table.Location(outcome.Value!.Code), DebitTypeDto.From(outcome.Value, options.Currency))
            : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<DebitTypeDto>, ProblemHttpResult>> UpdateAsync(
        string code, UpdateDebitTypeRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time,
        FiscusOptions options, CancellationToken cancellationToken)
    {
        var validation = new Validation().Text("description", request.Description, 200);
        var amount = WireMoney.ToMinor(validation, "default_amount", request.DefaultAmount, options.Currency, WireMoney.Sign.NonNegative, false);
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<DebitTypeRow>>(db, async (connection, transaction) =>
        {
            var locked = await ReferenceTypeEndpoints.LockForUpdateAsync<DebitTypeRow>(connection, transaction, Table, code,
                request.Code, request.IsSystem, request.Archived, cancellationToken);
            if (locked.Failure is { } lockFailure)
            {
                return lockFailure;
            }
            var before = locked.Value!;
            var after = before with
            {
                Description = request.Description,
                // 0 clears the default amount; leaving the field out keeps it.
                DefaultAmountMinor = amount is null ? before.DefaultAmountMinor : amount == 0 ? null : amount,
                CanBeSold = request.CanBeSold ?? before.CanBeSold,
                CanBeInvoiced = request.CanBeInvoiced ?? before.CanBeInvoiced,
                RestrictsCheckouts = request.RestrictsCheckouts ?? before.RestrictsCheckouts,
            };
            if (before.IsSystem && (after.CanBeSold != before.CanBeSold || after.CanBeInvoiced != before.CanBeInvoiced))
            {
                return Failure.Conflict("system_type",
                    $"{code} is a system debit type: only its description, default amount and restricts_checkouts can change.");
            }
            var now = time.GetUtcNow();
            var row = await connection.QuerySingleAsync<DebitTypeRow>(new CommandDefinition($"""
                UPDATE debit_types
                SET description = @Description, default_amount_minor = @DefaultAmountMinor, can_be_sold = @CanBeSold,
                    can_be_invoiced = @CanBeInvoiced, restricts_checkouts = @RestrictsCheckouts, updated_at = @now
                WHERE code = @Code
                RETURNING {Table.Columns}
                """,
                new { after.Description, after.DefaultAmountMinor, after.CanBeSold, after.CanBeInvoiced, after.RestrictsCheckouts, now, after.Code },
                transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "debit_type.update", Table.Entity,
                code, new { from = before, to = row }, cancellationToken);
            return row;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(DebitTypeDto.From(outcome.Value!, options.Currency)) : ApiProblems.From(outcome.Failure!);
    }
}
