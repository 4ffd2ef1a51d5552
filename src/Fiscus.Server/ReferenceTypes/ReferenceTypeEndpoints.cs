using Fiscus.Ledger.Audit;
using System.Globalization;
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

/// <summary>What every debit, credit and payment type row has.</summary>
public interface IReferenceTypeRow
{
    string Code { get; }

    bool IsSystem { get; }

    bool Archived { get; }
}

/// <summary>
/// One of the three code-keyed reference tables (debit, credit and payment types). Table and column names
/// here are constants of ours, never client input.
/// </summary>
/// <param name="List">The list's query contract: its fields and its boolean filters (<c>?archived=false</c>).</param>
/// <param name="UnarchiveScopes">What bringing an archived type back needs (default: reference:write).</param>
internal sealed record TypeTable(
    string Table, string Entity, string Noun, string Operation, string Tag, string Columns, KohaList List,
    string[]? UnarchiveScopes = null)
{
    public string Route => $"/api/v1/{Table}";

    public Failure NotFound(string code) => Failure.NotFound($"{Entity}_not_found", $"There is no {Noun} '{code}'.");

    public Failure CodeExists(string code) => Failure.Conflict($"{Entity}_exists", $"A {Noun} with code '{code}' already exists.");

    public string Location(string code) => $"{Route}/{Uri.EscapeDataString(code)}";
}

/// <summary>
/// What debit, credit and payment types have in common: listing (Koha's list conventions), reading one, and
/// archiving. Types are never deleted (ledger lines name them); an archived type is refused for new money.
/// System types cannot be archived, because Fiscus itself writes lines of those types (VOID, PAYOUT,
/// PAYMENT, CASH ...). Creating and updating differ per table and stay with each API.
/// </summary>
internal static class ReferenceTypeEndpoints
{
    public static RouteGroupBuilder MapReferenceType<TRow, TDto>(
        this IEndpointRouteBuilder routes, TypeTable table, Func<TRow, Currency, TDto> toDto)
    {
        var group = routes.MapGroup(table.Route).WithTags(table.Tag).RequireAuthorization();
        group.MapGet("/", async Task<Ok<TDto[]>> (KohaQuery query, HttpContext http, NpgsqlDataSource db, FiscusOptions options,
                CancellationToken cancellationToken) =>
            {
                var (rows, _) = await query.PageAsync<TRow>(db, table.Columns, $"FROM {table.Table}", "TRUE", null, http, cancellationToken);
                return TypedResults.Ok(rows.Select(row => toDto(row, options.Currency)).ToArray());
            })
            .RequireAuthorization(Scopes.ReferenceRead).WithName($"list{table.Operation}s")
            .WithSummary($"List {table.Noun}s (filters: {string.Join(", ", table.List.Filters.Select(f => f.Name))})")
            .WithKohaList(table.List);
        group.MapGet("/{code}", async Task<Results<Ok<TDto>, ProblemHttpResult>> (string code, NpgsqlDataSource db,
                FiscusOptions options, CancellationToken cancellationToken) =>
            {
                await using var connection = await db.OpenConnectionAsync(cancellationToken);
                var row = await FindAsync<TRow>(connection, null, table, code, cancellationToken);
                return row is null ? ApiProblems.From(table.NotFound(code)) : TypedResults.Ok(toDto(row, options.Currency));
            })
            .RequireAuthorization(Scopes.ReferenceRead).WithName($"get{table.Operation}").WithSummary($"Get a {table.Noun}");
        foreach (var archived in new[] { true, false })
        {
            group.MapPost(archived ? "/{code}/archive" : "/{code}/unarchive", async Task<Results<Ok<TDto>, ProblemHttpResult>> (
                    string code, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time, FiscusOptions options,
                    CancellationToken cancellationToken) =>
                {
                    var outcome = await SetArchivedAsync<TRow>(db, table, code, archived, AuditActors.From(caller, http), time, cancellationToken);
                    return outcome.Succeeded ? TypedResults.Ok(toDto(outcome.Value!, options.Currency)) : ApiProblems.From(outcome.Failure!);
                })
                .RequireAuthorization(archived ? [Scopes.ReferenceWrite] : table.UnarchiveScopes ?? [Scopes.ReferenceWrite])
                .WithName($"{(archived ? "archive" : "unarchive")}{table.Operation}")
                .WithSummary(archived ? $"Archive a {table.Noun} (refused for new money)" : $"Restore an archived {table.Noun}");
        }
        return group;
    }

    public static Task<TRow?> FindAsync<TRow>(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, TypeTable table, string code, CancellationToken cancellationToken,
        bool forUpdate = false) =>
        connection.QuerySingleOrDefaultAsync<TRow>(new CommandDefinition(
            $"SELECT {table.Columns} FROM {table.Table} WHERE code = @code{(forUpdate ? " FOR NO KEY UPDATE" : "")}", new { code }, transaction,
            cancellationToken: cancellationToken));

    /// <summary>
    /// Locks a type for a PUT. The body may echo read-only fields back from a GET (<c>code</c>,
    /// <c>is_system</c>, <c>archived</c>); they must then hold their current values.
    /// </summary>
    public static async Task<Outcome<TRow>> LockForUpdateAsync<TRow>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, TypeTable table, string code,
        string? echoedCode, bool? echoedIsSystem, bool? echoedArchived, CancellationToken cancellationToken)
        where TRow : IReferenceTypeRow
    {
        var before = await FindAsync<TRow>(connection, transaction, table, code, cancellationToken, forUpdate: true);
        if (before is null)
        {
            return table.NotFound(code);
        }
        if (echoedCode is not null && !string.Equals(echoedCode, code, StringComparison.Ordinal))
        {
            return Failure.Invalid("code", "code cannot be changed");
        }
        if (echoedIsSystem is { } isSystem && isSystem != before.IsSystem)
        {
            return Failure.Invalid("is_system", "is_system cannot be changed");
        }
        if (echoedArchived is { } archived && archived != before.Archived)
        {
            return Failure.Invalid("archived", "archived cannot be changed by PUT; use the archive or unarchive action");
        }
        return before;
    }

    static Task<Outcome<TRow>> SetArchivedAsync<TRow>(
        NpgsqlDataSource db, TypeTable table, string code, bool archived, AuditActor actor, TimeProvider time,
        CancellationToken cancellationToken) =>
        Transactions.RunAsync<Outcome<TRow>>(db, async (connection, transaction) =>
        {
            var isSystem = await connection.ExecuteScalarAsync<bool?>(new CommandDefinition(
                $"SELECT is_system FROM {table.Table} WHERE code = @code FOR NO KEY UPDATE", new { code }, transaction,
                cancellationToken: cancellationToken));
            if (isSystem is null)
            {
                return table.NotFound(code);
            }
            if (archived && isSystem.Value)
            {
                return Failure.Conflict("system_type", $"{code} is a system {table.Noun} that Fiscus itself uses; it cannot be archived.");
            }
            var now = time.GetUtcNow();
            var row = await connection.QuerySingleAsync<TRow>(new CommandDefinition(
                $"UPDATE {table.Table} SET archived = @archived, updated_at = @now WHERE code = @code RETURNING {table.Columns}",
                new { archived, now, code }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, actor, now, $"{table.Entity}.{(archived ? "archive" : "unarchive")}",
                table.Entity, code, null, cancellationToken);
            return row;
        }, cancellationToken);
}
