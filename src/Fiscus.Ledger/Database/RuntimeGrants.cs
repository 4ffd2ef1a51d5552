using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Database;

/// <summary>
/// Gives the runtime role exactly <see cref="RuntimePrivileges"/>: run as the schema owner after migrating, on every
/// start, so a grant widened by hand or left over from an older build is taken back, and a table a new migration
/// added becomes usable.
/// </summary>
/// <remarks>
/// Grants live in the database, not in the schema's history: they name a role of this installation, so they are
/// applied here rather than by a numbered migration. Everything happens in one transaction, so a server already
/// running as the role never sees a moment without its privileges.
/// </remarks>
public static class RuntimeGrants
{
    /// <summary>Serializes instances granting at once (concurrent GRANTs on one object can fail): "FISCUS" then 3.</summary>
    public const long GrantLockKey = 0x464953435553_0003;

    /// <param name="owner">A connection source of the role that owns the schema.</param>
    /// <param name="runtimeRole">The role FISCUS_DATABASE signs in as.</param>
    /// <returns>False when the runtime role is the owner itself: there is nothing to grant (and revoking would take away the owner's own rights).</returns>
    public static async Task<bool> ApplyAsync(NpgsqlDataSource owner, string runtimeRole, CancellationToken cancellationToken)
    {
        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"SELECT pg_advisory_xact_lock({GrantLockKey})", transaction: transaction, cancellationToken: cancellationToken));
        var (ownerRole, schema) = await connection.QuerySingleAsync<(string, string?)>(new CommandDefinition("""
            SELECT current_user, (SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = to_regclass('schema_migrations'))
            """, transaction: transaction, cancellationToken: cancellationToken));
        if (string.Equals(ownerRole, runtimeRole, StringComparison.Ordinal))
        {
            return false;
        }
        await connection.ExecuteAsync(new CommandDefinition(
            Sql(schema ?? throw new InvalidOperationException("schema_migrations was not found: migrate before granting."), runtimeRole),
            transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The statements, revoking first so that whatever was granted before (by hand, or by an older build) goes.</summary>
    /// <param name="s">The schema, as regnamespace writes it: an identifier, already quoted where it needs to be.</param>
    static string Sql(string s, string runtimeRole)
    {
        var role = Quote(runtimeRole);
        var statements = new List<string>
        {
            // Revoking a table privilege revokes the same privilege on its columns as well.
            $"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {role}",
            $"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {role}",
            $"REVOKE ALL ON ALL ROUTINES IN SCHEMA {s} FROM {role}",
            // Creating objects in the schema could shadow the owner's functions for code the owner runs later.
            $"REVOKE CREATE ON SCHEMA {s} FROM {role}",
            $"GRANT USAGE ON SCHEMA {s} TO {role}",
        };
        foreach (var table in RuntimePrivileges.Tables)
        {
            var name = $"{s}.{Quote(table.Table)}";
            var wholeRowInsert = table.Insert && table.InsertColumns is not { Count: > 0 };
            statements.Add($"GRANT SELECT{(wholeRowInsert ? ", INSERT" : "")}{(table.Delete ? ", DELETE" : "")} ON {name} TO {role}");
            if (table.Insert && table.InsertColumns is { Count: > 0 } insertColumns)
            {
                statements.Add($"GRANT INSERT ({string.Join(", ", insertColumns.Select(Quote))}) ON {name} TO {role}");
            }
            if (table.UpdateColumns.Count > 0)
            {
                statements.Add($"GRANT UPDATE ({string.Join(", ", table.UpdateColumns.Select(Quote))}) ON {name} TO {role}");
            }
        }
        foreach (var sequence in RuntimePrivileges.Sequences)
        {
            // pg_get_serial_sequence answers for identity columns too; GRANT needs the name, so look it up in a DO block.
            statements.Add($"""
                DO $grant$ BEGIN
                    EXECUTE format('GRANT {sequence.Privileges} ON SEQUENCE %s TO %I',
                                   pg_get_serial_sequence({Literal($"{s}.{Quote(sequence.Table)}")}, {Literal(sequence.Column)}), {Literal(runtimeRole)});
                END $grant$
                """);
        }
        // The queries and triggers the server runs call Fiscus's functions (case folding, the ledger's checks). The only
        // SECURITY DEFINER ones are trigger functions (register movements), which no one can call but a trigger, and
        // every plpgsql function has a fixed search_path (migration 0008), so a temporary table cannot stand in for a
        // table they read.
        statements.Add($"GRANT EXECUTE ON ALL ROUTINES IN SCHEMA {s} TO {role}");
        // Temporary tables serve no query of Fiscus's; where the owner may, nobody gets them by default (PUBLIC).
        statements.Add($"""
            DO $temp$ BEGIN
                IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                   OR (SELECT datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user) FROM pg_database WHERE datname = current_database()) THEN
                    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
                END IF;
                EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM %I', current_database(), {Literal(runtimeRole)});
            END $temp$
            """);
        return string.Join(";\n", statements) + ";";
    }

    /// <summary>An SQL identifier, always quoted (so any role or schema name is taken literally).</summary>
    static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
