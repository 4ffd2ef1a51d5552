using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// The declared privileges cover the whole schema, are what the runtime role ends up with (whatever it held
/// before), and the start-up check tells a role that can alter the ledger from one that cannot.
/// </summary>
public sealed class RuntimePrivilegesTests(RuntimeRoleDatabase database) : IClassFixture<RuntimeRoleDatabase>
{
    [Fact]
    public async Task Every_table_of_the_schema_has_declared_privileges_and_every_declaration_a_table()
    {
        await using var connection = await database.Owner.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1")).ToList();
        var declared = RuntimePrivileges.Tables.Select(t => t.Table).Order(StringComparer.Ordinal).ToList();

        // A table missing here was added by a migration without saying what the server may do with it.
        Assert.Equal(tables, declared);
        var columns = (await connection.QueryAsync<(string Table, string Column)>("""
            SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relnamespace = 'public'::regnamespace
            """)).ToHashSet();
        Assert.All(RuntimePrivileges.Tables.SelectMany(t => t.UpdateColumns.Concat(t.InsertColumns ?? []).Select(c => (t.Table, c))),
            column => Assert.Contains(column, columns));
        Assert.All(RuntimePrivileges.Sequences, s => Assert.Contains((s.Table, s.Column), columns));
    }

    [Fact]
    public async Task The_runtime_role_holds_exactly_the_declared_privileges()
    {
        Assert.Equal(Expected(), await HeldAsync());
    }

    [Fact]
    public async Task Granting_again_takes_back_whatever_was_added_by_hand()
    {
        await using (var owner = await database.Owner.OpenConnectionAsync())
        {
            await owner.ExecuteAsync($"""
                GRANT ALL ON audit_log, account_lines TO {TestDatabases.RuntimeRole};
                GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {TestDatabases.RuntimeRole}
                """);
        }
        Assert.NotEqual(Expected(), await HeldAsync());

        await RuntimeGrants.ApplyAsync(database.Owner, TestDatabases.RuntimeRole, CancellationToken.None);

        Assert.Equal(Expected(), await HeldAsync());
    }

    [Fact]
    public async Task Granting_to_the_owner_itself_does_nothing()
    {
        await using var connection = await database.Owner.OpenConnectionAsync();
        var owner = await connection.ExecuteScalarAsync<string>("SELECT current_user");

        Assert.False(await RuntimeGrants.ApplyAsync(database.Owner, owner!, CancellationToken.None));

        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT has_table_privilege('audit_log', 'SELECT')"));
    }

    [Fact]
    public async Task The_check_passes_the_runtime_role()
    {
        await using var connection = await database.Runtime.OpenConnectionAsync();

        var report = await RuntimeRoleCheck.CheckAsync(connection, CancellationToken.None);

        Assert.Equal(TestDatabases.RuntimeRole, report.Role);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public async Task The_check_reports_a_superuser()
    {
        await using var connection = await database.Owner.OpenConnectionAsync();

        var report = await RuntimeRoleCheck.CheckAsync(connection, CancellationToken.None);

        Assert.True(report.CanAlterLedger);
        Assert.Contains("it is a superuser", report.Problems);
    }

    [Fact]
    public async Task The_check_reports_a_role_given_more_on_the_ledger_by_hand()
    {
        await using (var owner = await database.Owner.OpenConnectionAsync())
        {
            await owner.ExecuteAsync($"GRANT DELETE, TRUNCATE ON audit_log TO {TestDatabases.RuntimeRole}; GRANT UPDATE (amount_minor) ON account_lines TO {TestDatabases.RuntimeRole}");
        }
        try
        {
            await using var connection = await database.Runtime.OpenConnectionAsync();

            var report = await RuntimeRoleCheck.CheckAsync(connection, CancellationToken.None);

            Assert.Equal(["it holds UPDATE on account_lines.amount_minor", "it holds DELETE on audit_log", "it holds TRUNCATE on audit_log"], report.Problems);
        }
        finally
        {
            await RuntimeGrants.ApplyAsync(database.Owner, TestDatabases.RuntimeRole, CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_check_reports_a_member_of_the_owners_role()
    {
        var member = TestDatabases.NewName("member");
        await using var owner = await database.Owner.OpenConnectionAsync();
        var ownerRole = await owner.ExecuteScalarAsync<string>("SELECT current_user");
        // A role that owns the tables but is no superuser, and a login role in it: what "one role" often looks like.
        var tableOwner = TestDatabases.NewName("owner");
        await owner.ExecuteAsync($"""
            CREATE ROLE {tableOwner} NOLOGIN; CREATE ROLE {member} LOGIN PASSWORD 'member-password' IN ROLE {tableOwner};
            ALTER TABLE audit_log OWNER TO {tableOwner}
            """);
        try
        {
            await using var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(TestDatabases.ConnectionStringFor(database.Name))
            {
                Username = member, Password = "member-password", Pooling = false,
            }.ConnectionString);
            await using var connection = await source.OpenConnectionAsync();

            var report = await RuntimeRoleCheck.CheckAsync(connection, CancellationToken.None);

            Assert.Equal([$"it is (or is a member of) {tableOwner}, which owns 1 tables and 0 functions of the schema (audit_log)"], report.Problems);
        }
        finally
        {
            await owner.ExecuteAsync($"ALTER TABLE audit_log OWNER TO \"{ownerRole}\"; DROP ROLE {member}; DROP OWNED BY {tableOwner}; DROP ROLE {tableOwner}");
        }
    }

    /// <summary>The declaration, as PostgreSQL's catalog would state it: (table, privilege, column or null).</summary>
    static SortedSet<string> Expected()
    {
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var table in RuntimePrivileges.Tables)
        {
            expected.Add($"{table.Table} SELECT");
            if (table.Insert && table.InsertColumns is { Count: > 0 } insertColumns)
            {
                expected.UnionWith(insertColumns.Select(c => $"{table.Table}.{c} INSERT"));
            }
            else if (table.Insert)
            {
                expected.Add($"{table.Table} INSERT");
            }
            if (table.Delete)
            {
                expected.Add($"{table.Table} DELETE");
            }
            expected.UnionWith(table.UpdateColumns.Select(c => $"{table.Table}.{c} UPDATE"));
        }
        foreach (var sequence in RuntimePrivileges.Sequences)
        {
            expected.UnionWith(sequence.Privileges.Split(", ").Select(p => $"{sequence.Table}_{sequence.Column}_seq {p}"));
        }
        return expected;
    }

    /// <summary>What the runtime role was granted in the schema, from the catalog's access lists (privileges through PUBLIC left aside).</summary>
    async Task<SortedSet<string>> HeldAsync()
    {
        await using var connection = await database.Owner.OpenConnectionAsync();
        var rows = await connection.QueryAsync<string>("""
            SELECT c.relname || ' ' || acl.privilege_type
            FROM pg_class c, aclexplode(c.relacl) acl
            WHERE c.relnamespace = 'public'::regnamespace AND acl.grantee = to_regrole(@role)
            UNION ALL
            SELECT c.relname || '.' || a.attname || ' ' || acl.privilege_type
            FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid, aclexplode(a.attacl) acl
            WHERE c.relnamespace = 'public'::regnamespace AND acl.grantee = to_regrole(@role)
            """, new { role = TestDatabases.RuntimeRole });
        return new SortedSet<string>(rows, StringComparer.Ordinal);
    }
}
