using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Database;

/// <summary>
/// Whether the role a connection signs in as could rewrite the ledger or the audit log behind the triggers'
/// back: a superuser (or a role that can become one), the owner of Fiscus's tables or functions (or a member of
/// the owner's role: ALTER TABLE ... DISABLE TRIGGER, CREATE OR REPLACE FUNCTION), or a role holding more than
/// <see cref="RuntimePrivileges"/> declares on an append-only table.
/// </summary>
/// <remarks>
/// Fiscus keeps working with such a role (one role for everything is how installations began), but says so at
/// every start: the append-only guarantees are then only as strong as the server's code.
/// </remarks>
public static class RuntimeRoleCheck
{
    /// <param name="connection">A connection of the role to check (the server's FISCUS_DATABASE), to a migrated database.</param>
    public static async Task<RuntimeRoleReport> CheckAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var role = await connection.QuerySingleAsync<(string Name, bool IsSuperuser, string? Becomes)>(new CommandDefinition("""
            SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                   (SELECT string_agg(rolname, ', ' ORDER BY rolname) FROM pg_roles
                    WHERE rolsuper AND rolname <> current_user AND pg_has_role(current_user, oid, 'MEMBER'))
            """, cancellationToken: cancellationToken));
        var problems = new List<string>();
        // A superuser can do all the rest anyway (and counts as a member of every owner): saying so once is enough.
        if (role.IsSuperuser)
        {
            problems.Add("it is a superuser");
        }
        else
        {
            if (role.Becomes is { } superusers)
            {
                problems.Add($"it can act as the superuser {superusers}");
            }
            if (await OwnershipAsync(connection, role.Name, cancellationToken) is { } owns)
            {
                problems.Add(owns);
            }
        }

        // More than the declaration on an append-only table matters only when nothing above already says it all.
        if (problems.Count == 0)
        {
            problems.AddRange(await ExcessOnAppendOnlyTablesAsync(connection, cancellationToken));
        }
        return new RuntimeRoleReport(role.Name, problems);
    }

    /// <summary>Fiscus's tables and functions the role owns, itself or through a role it belongs to; null when none.</summary>
    static async Task<string?> OwnershipAsync(NpgsqlConnection connection, string role, CancellationToken cancellationToken)
    {
        // The schema is where schema_migrations is, as this role's search path finds it (the server's queries do too).
        var owned = (await connection.QueryAsync<(string Name, bool IsTable, string Owner)>(new CommandDefinition("""
            WITH fiscus AS (SELECT relnamespace AS schema FROM pg_class WHERE oid = to_regclass('schema_migrations'))
            SELECT c.relname, true, c.relowner::regrole::text FROM pg_class c, fiscus
            WHERE c.relnamespace = fiscus.schema AND c.relkind IN ('r', 'p') AND pg_has_role(current_user, c.relowner, 'MEMBER')
            UNION ALL
            SELECT p.proname, false, p.proowner::regrole::text FROM pg_proc p, fiscus
            WHERE p.pronamespace = fiscus.schema AND pg_has_role(current_user, p.proowner, 'MEMBER')
            """, cancellationToken: cancellationToken))).AsList();
        if (owned.Count == 0)
        {
            return null;
        }
        var owners = owned.Select(o => o.Owner).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var who = owners.SequenceEqual([role], StringComparer.Ordinal)
            ? "it owns"
            : $"it is (or is a member of) {string.Join(", ", owners)}, which owns";
        // The ledger's own tables first: they are what an operator is looking for.
        var appendOnly = RuntimePrivileges.Tables.Where(t => t.IsAppendOnly).Select(t => t.Table).ToList();
        var names = owned.Where(o => o.IsTable)
            .OrderBy(o => appendOnly.IndexOf(o.Name) is var i and >= 0 ? i : int.MaxValue).ThenBy(o => o.Name, StringComparer.Ordinal)
            .Select(o => o.Name);
        return $"{who} {owned.Count(o => o.IsTable)} tables and {owned.Count(o => !o.IsTable)} functions of the schema ({Some(names)})";
    }

    /// <summary>
    /// UPDATE of other columns, DELETE, TRUNCATE or TRIGGER on a ledger or audit table, or INSERT into one only the
    /// owner's triggers write (register movements): granted by hand, or through a role.
    /// </summary>
    static async Task<IEnumerable<string>> ExcessOnAppendOnlyTablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var appendOnly = RuntimePrivileges.Tables.Where(t => t.IsAppendOnly).ToList();
        var rows = await connection.QueryAsync<(string Table, string Privilege, string? Column)>(new CommandDefinition("""
            WITH fiscus AS (SELECT relnamespace AS schema FROM pg_class WHERE oid = to_regclass('schema_migrations')),
                 tables AS (SELECT c.oid, c.relname FROM pg_class c, fiscus WHERE c.relnamespace = fiscus.schema AND c.relname = ANY(@names))
            SELECT t.relname, p.privilege, NULL FROM tables t, unnest(ARRAY['INSERT', 'DELETE', 'TRUNCATE', 'TRIGGER']) AS p(privilege)
            WHERE has_table_privilege(t.oid, p.privilege)
            UNION ALL
            SELECT t.relname, 'UPDATE', a.attname FROM tables t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE has_column_privilege(t.oid, a.attnum, 'UPDATE')
            ORDER BY 1, 2, 3
            """, new { names = appendOnly.Select(t => t.Table).ToArray() }, cancellationToken: cancellationToken));
        var declared = appendOnly.ToDictionary(t => t.Table, StringComparer.Ordinal);
        return rows
            .Where(r => r.Privilege == "INSERT" ? !declared[r.Table].Insert
                : r.Column is null || !declared[r.Table].UpdateColumns.Contains(r.Column, StringComparer.Ordinal))
            .GroupBy(r => r.Privilege)
            .Select(g => $"it holds {g.Key} on {Some(g.Select(r => r.Column is null ? r.Table : $"{r.Table}.{r.Column}").Distinct())}");
    }

    /// <summary>A few names and how many more: enough to see what is wrong without a page of names.</summary>
    static string Some(IEnumerable<string> names)
    {
        var all = names.ToList();
        return all.Count <= 4 ? string.Join(", ", all) : $"{string.Join(", ", all.Take(4))} and {all.Count - 4} more";
    }
}

/// <summary>The role FISCUS_DATABASE signs in as, and why it could alter the ledger (empty: it cannot).</summary>
public sealed record RuntimeRoleReport(string Role, IReadOnlyList<string> Problems)
{
    public bool CanAlterLedger => Problems.Count > 0;
}
