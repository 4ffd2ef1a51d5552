using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Npgsql;

namespace Fiscus.Server.ReferenceTypes;

/// <summary>
/// Archiving and restoring debit, credit and payment types. Types are never deleted (ledger lines name
/// them); an archived type is refused for new money. System types cannot be archived: Fiscus itself writes
/// lines of those types (VOID, PAYOUT, PAYMENT, CASH ...).
/// </summary>
internal sealed record TypeTable(string Table, string Entity, string Columns, string Noun);

internal static class TypeArchiving
{
    public static Task<Outcome<T>> SetArchivedAsync<T>(
        NpgsqlDataSource db, TypeTable table, string code, bool archived, AuditActor actor, TimeProvider time,
        CancellationToken cancellationToken) =>
        Transactions.RunAsync<Outcome<T>>(db, async (connection, transaction) =>
        {
            var isSystem = await connection.ExecuteScalarAsync<bool?>(new CommandDefinition(
                $"SELECT is_system FROM {table.Table} WHERE code = @code FOR UPDATE", new { code }, transaction,
                cancellationToken: cancellationToken));
            if (isSystem is null)
            {
                return NotFound(table, code);
            }
            if (archived && isSystem.Value)
            {
                return Failure.Conflict("system_type", $"{code} is a system {table.Noun} that Fiscus itself uses; it cannot be archived.");
            }
            var now = time.GetUtcNow();
            var row = await connection.QuerySingleAsync<T>(new CommandDefinition(
                $"UPDATE {table.Table} SET archived = @archived, updated_at = @now WHERE code = @code RETURNING {table.Columns}",
                new { archived, now, code }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, actor, now, $"{table.Entity}.{(archived ? "archive" : "unarchive")}",
                table.Entity, code, null, cancellationToken);
            return row;
        }, cancellationToken);

    public static Failure NotFound(TypeTable table, string code) =>
        Failure.NotFound($"{table.Entity}_not_found", $"There is no {table.Noun} '{code}'.");

    public static Failure CodeExists(TypeTable table, string code) =>
        Failure.Conflict($"{table.Entity}_exists", $"A {table.Noun} with code '{code}' already exists.");

    /// <summary>
    /// A PUT body may echo read-only fields back from a GET; they must then hold their current values.
    /// </summary>
    public static Failure? CheckEcho(string code, string? echoedCode, params (bool Current, bool? Echoed, string Field)[] flags)
    {
        if (echoedCode is not null && !string.Equals(echoedCode, code, StringComparison.Ordinal))
        {
            return Failure.Invalid("code", "code cannot be changed");
        }
        foreach (var (current, echoed, field) in flags)
        {
            if (echoed is { } value && value != current)
            {
                return Failure.Invalid(field, $"{field} cannot be changed by PUT" +
                    (field == "archived" ? "; use the archive or unarchive action" : ""));
            }
        }
        return null;
    }
}
