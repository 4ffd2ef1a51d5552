using Fiscus.Server.Cli;
using Fiscus.Testing;

namespace Fiscus.Server.Tests;

/// <summary>The command-line verbs, run in process against a database of their own.</summary>
public sealed partial class CliTests : IAsyncLifetime
{
    readonly string database = TestDatabases.NewName("cli");

    public Task InitializeAsync() => TestDatabases.CreateAsync(database);

    public Task DisposeAsync() => TestDatabases.DropAsync(database);

    /// <summary>Runs a verb as ./run does: migrations as the owner, the verb's own work as the runtime role.</summary>
    Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunWithAsync(new Dictionary<string, string?>
    {
        ["FISCUS_MIGRATION_DATABASE"] = TestDatabases.ConnectionStringFor(database),
        ["FISCUS_DATABASE"] = TestDatabases.RuntimeConnectionStringFor(database),
    }, args);

    async Task<(int Code, string Output, string Error)> RunWithAsync(Dictionary<string, string?> settings, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        settings["FISCUS_TIME_ZONE"] = "UTC";
        var code = await FiscusCli.RunAsync(args, settings, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Migrate_creates_the_schema_and_is_idempotent()
    {
        var first = await RunAsync("migrate");
        Assert.Equal(0, first.Code);
        Assert.Contains("applied 0001 foundation", first.Output, StringComparison.Ordinal);
        Assert.Contains("reference data seeded", first.Output, StringComparison.Ordinal);

        var second = await RunAsync("migrate");
        Assert.Equal(0, second.Code);
        Assert.Contains("schema is up to date", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_grants_the_runtime_role_its_privileges_and_warns_of_nothing()
    {
        var migrated = await RunAsync("migrate");

        Assert.Equal(0, migrated.Code);
        Assert.Equal("", migrated.Error);
        await using var connection = new Npgsql.NpgsqlConnection(TestDatabases.RuntimeConnectionStringFor(database));
        await connection.OpenAsync();
        await using var privileges = new Npgsql.NpgsqlCommand(
            "SELECT has_table_privilege('audit_log', 'INSERT') AND NOT has_table_privilege('audit_log', 'DELETE')", connection);
        Assert.Equal(true, await privileges.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Migrate_with_one_role_for_everything_warns_that_it_can_alter_the_ledger()
    {
        var migrated = await RunWithAsync(new Dictionary<string, string?> { ["FISCUS_DATABASE"] = TestDatabases.ConnectionStringFor(database) }, "migrate");

        Assert.Equal(0, migrated.Code);
        Assert.StartsWith("fiscus: warning: FISCUS_DATABASE signs in as ", migrated.Error, StringComparison.Ordinal);
        Assert.Contains("it is a superuser", migrated.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_add_and_list()
    {
        var added = await RunAsync("user", "add", "--username", "ann", "--password", "reading-room-7", "--role", "cashier", "--library", "MAIN");
        Assert.True(added.Code == 0, added.Error);
        Assert.Contains("created user ann", added.Output, StringComparison.Ordinal);

        var list = await RunAsync("user", "list");
        Assert.Equal(0, list.Code);
        Assert.Matches(@"\n\d+\s+ann\s+cashier\s+MAIN\s+enabled", list.Output);
    }

    [Fact]
    public async Task User_add_without_a_password_prints_a_generated_one()
    {
        var added = await RunAsync("user", "add", "--username", "gen", "--role", "manager");
        Assert.True(added.Code == 0, added.Error);
        Assert.Matches(@"password for gen \(shown once\): [A-Za-z0-9]{16}\n", added.Output);
    }

    [Theory]
    [InlineData("--username", "bob", "--password", "short", "--role", "cashier")]
    [InlineData("--username", "bob", "--password", "aaaaaaaaaaaa", "--role", "admin")]
    [InlineData("--username", "bob", "--password", "reading-room-8", "--role", "cashier", "--library", "NOPE")]
    public async Task User_add_applies_the_same_rules_as_the_API(params string[] options)
    {
        var result = await RunAsync(["user", "add", .. options]);

        Assert.Equal(1, result.Code);
        Assert.StartsWith("fiscus: ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_add_refuses_an_unknown_role()
    {
        var result = await RunAsync("user", "add", "--username", "bob", "--password", "reading-room-8", "--role", "boss");

        Assert.NotEqual(0, result.Code);
    }

    [Fact]
    public async Task Client_add_prints_the_secret_once_and_list_does_not()
    {
        var added = await RunAsync("client", "add", "--name", "Kiosk 1", "--scopes", "payments:write sales:write,registers:read", "--register", "1");
        Assert.True(added.Code == 0, added.Error);
        Assert.Matches(@"client_id:\s+[0-9a-f]{24}", added.Output);
        Assert.Matches(@"client_secret:\s+fss_\S+", added.Output);
        Assert.Contains("payments:write registers:read sales:write", added.Output, StringComparison.Ordinal);

        var list = await RunAsync("client", "list");
        Assert.Equal(0, list.Code);
        Assert.Contains("Kiosk 1", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("fss_", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_add_refuses_staff_only_scopes()
    {
        var result = await RunAsync("client", "add", "--name", "Sneaky", "--scopes", "users:write");

        Assert.Equal(1, result.Code);
        Assert.Contains("users:write", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_password_resets_a_forgotten_admin_password()
    {
        await RunAsync("user", "add", "--username", "boss", "--password", "night-shift-ledger-22", "--role", "admin");

        var reset = await RunAsync("user", "password", "--username", "boss");

        Assert.Equal(0, reset.Code);
        Assert.Matches("new password for boss: [A-Za-z0-9]{16}", reset.Output);
    }

    [Fact]
    public async Task Verify_passes_a_consistent_ledger_and_reports_a_corrupted_one()
    {
        await RunAsync("migrate");
        await using var connection = new Npgsql.NpgsqlConnection(TestDatabases.ConnectionStringFor(database));
        await connection.OpenAsync();
        await using (var write = new Npgsql.NpgsqlCommand("""
            INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at) VALUES ('V1', 'Verify', 'MAIN', now(), now());
            INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
            VALUES (gen_random_uuid(), 'verifier', 'x', 'manager', now(), now(), now());
            WITH d AS (INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, user_id, interface, posted_at)
                       SELECT patron_id, 'MANUAL', 500, 500, (SELECT user_id FROM staff_users WHERE username = 'verifier'), 'api', now()
                       FROM patrons WHERE cardnumber = 'V1' RETURNING account_line_id)
            INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 500, now() FROM d;
            """, connection))
        {
            await write.ExecuteNonQueryAsync();
        }
        var clean = await RunAsync("verify");
        Assert.Equal(0, clean.Code);
        Assert.Contains("checked 1 account lines and 1 offsets", clean.Output, StringComparison.Ordinal);
        Assert.Contains("ledger is consistent", clean.Output, StringComparison.Ordinal);

        // Only a superuser bypassing every trigger can do this; the verifier is the second line of defence.
        await using (var corrupt = new Npgsql.NpgsqlCommand(
            "SET session_replication_role = replica; UPDATE account_lines SET amount_outstanding_minor = 1; SET session_replication_role = origin;",
            connection))
        {
            await corrupt.ExecuteNonQueryAsync();
        }
        var broken = await RunAsync("verify");
        Assert.Equal(1, broken.Code);
        Assert.Contains("VIOLATION outstanding matches offsets", broken.Error, StringComparison.Ordinal);
        Assert.Contains("VIOLATION each account's balance equals the sum of its amounts", broken.Error, StringComparison.Ordinal);
        Assert.Contains("2 violation(s) found", broken.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// `seal now` until `seal show` says nothing waits: a seal reaches only as far as the oldest transaction running anywhere on
    /// the test server, where other classes' transactions run beside this one's.
    /// </summary>
    async Task<((int Code, string Output, string Error) Made, (int Code, string Output, string Error) Shown)> SealAllAsync()
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var made = await RunAsync("seal", "now");
            Assert.True(made.Code == 0, made.Error);
            var shown = await RunAsync("seal", "show");
            if (shown.Code == 0 && shown.Output.Contains(" 0 row(s) wait", StringComparison.Ordinal))
            {
                return (made, shown);
            }
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"still waiting for a seal after 30 s: {shown.Output}{shown.Error}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Seal_show_prints_the_hash_to_record_and_verify_proves_it_against_the_chain()
    {
        await RunAsync("migrate");
        var none = await RunAsync("seal", "show");
        Assert.Equal(1, none.Code);
        Assert.Contains("nothing is sealed yet", none.Error, StringComparison.Ordinal);

        var (_, shown) = await SealAllAsync();

        Assert.Equal(0, shown.Code);
        var number = System.Text.RegularExpressions.Regex.Match(shown.Output, @"(?m)^seal +(\d+)$").Groups[1].Value;
        Assert.NotEqual("", number);
        Assert.Matches(@"(?m)^sealed at +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", shown.Output);
        Assert.Matches(@"(?m)^covers +\d+ rows", shown.Output);
        var hash = System.Text.RegularExpressions.Regex.Match(shown.Output, "(?m)^hash +([0-9a-f]{64})$").Groups[1].Value;
        Assert.Equal(64, hash.Length);

        var against = await RunAsync("verify", "--against", hash.ToUpperInvariant());
        Assert.True(against.Code == 0, against.Error);
        Assert.Contains($"the recorded hash is seal {number}'s: nothing it or the seals before it cover has changed", against.Output, StringComparison.Ordinal);

        var unknown = await RunAsync("verify", "--against", new string('0', 64));
        Assert.Equal(1, unknown.Code);
        Assert.Contains("VIOLATION the recorded seal is in the chain", unknown.Error, StringComparison.Ordinal);
        Assert.Contains($"no seal has the hash {new string('0', 64)}", unknown.Error, StringComparison.Ordinal);

        var malformed = await RunAsync("verify", "--against", "seal-1");
        Assert.Equal(1, malformed.Code);
        Assert.Contains("64 hex digits", malformed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_names_the_table_and_row_a_superuser_edited_after_the_seal()
    {
        await RunAsync("migrate");
        await RunAsync("user", "add", "--username", "sealed", "--password", "reading-room-9", "--role", "cashier");
        await SealAllAsync();
        await using var connection = new Npgsql.NpgsqlConnection(TestDatabases.ConnectionStringFor(database));
        await connection.OpenAsync();
        // Only a superuser bypassing every trigger can do this, and the audit entry reads well enough afterwards: the seal tells.
        await using var edit = new Npgsql.NpgsqlCommand("""
            SET session_replication_role = replica;
            UPDATE audit_log SET actor = 'admin' WHERE entity_id = (SELECT user_id::text FROM staff_users WHERE username = 'sealed') RETURNING audit_id;
            """, connection);
        var audit = await edit.ExecuteScalarAsync();

        var result = await RunAsync("verify");

        Assert.Equal(1, result.Code);
        Assert.Contains("VIOLATION sealed rows are as they were sealed:", result.Error, StringComparison.Ordinal);
        Assert.Matches($@"audit_log {audit}: altered since seal \d+ sealed it", result.Error);
    }

    [Fact]
    public async Task Audit_prints_what_the_api_answers_newest_first_with_the_same_filters()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);
        var added = await RunAsync("user", "add", "--username", "bea", "--password", "reading-room-7-long", "--role", "manager");
        Assert.True(added.Code == 0, added.Error);
        await using (var connection = new Npgsql.NpgsqlConnection(TestDatabases.ConnectionStringFor(database)))
        {
            await connection.OpenAsync();
            // Entries as the API's writers leave them (the API's tests make them by real voids, refunds and sign-ins).
            await using var insert = new Npgsql.NpgsqlCommand("""
                INSERT INTO audit_log (occurred_at, user_id, actor, action, entity, entity_id, details)
                SELECT at::timestamptz, u.user_id, 'user:' || u.user_id || ' (bea)', action, 'account_line', entity_id, details::jsonb
                FROM staff_users u, (VALUES
                    ('2026-03-01T09:00:00Z', 'account.void', '11', '{"patron_id": 7}'),
                    ('2026-03-01T10:00:00Z', 'pos.refund', '12', '{"cash_register_id": 1}'),
                    ('2026-03-01T11:00:00Z', 'account.refund', '13', '{"patron_id": 7}'),
                    ('2026-03-02T00:00:00Z', 'account.refund', '14', '{"patron_id": 8}')) AS e (at, action, entity_id, details)
                WHERE u.username = 'bea';
                INSERT INTO audit_log (occurred_at, actor, action, entity, details, remote_address)
                VALUES ('2026-03-01T12:00:00Z', 'anonymous', 'auth.login_failed', 'staff_user', '{"username": "BEA"}', '192.0.2.7');
                """, connection);
            Assert.Equal(5, await insert.ExecuteNonQueryAsync());
        }

        var refunds = await RunAsync("audit", "--since", "2026-03-01", "--until", "2026-03-02", "--action", "refund");

        Assert.True(refunds.Code == 0, refunds.Error);
        var lines = refunds.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches(@"^occurred_at\s+actor\s+action\s+entity\s+entity_id\s+patron\s+register\s+amount\s+note$", lines[0]);
        Assert.Matches(@"^2026-03-01T11:00:00Z\s+bea\s+account\.refund\s+account_line\s+13\s+7\s+-", lines[1]);
        Assert.Matches(@"^2026-03-01T10:00:00Z\s+bea\s+pos\.refund\s+account_line\s+12\s+-\s+1\s", lines[2]);
        Assert.Equal("2 entries", lines[3]);

        var staff = await RunAsync("audit", "--since", "2026-03-01T00:00:00Z", "--until", "2026-03-02T00:00:00+01:00", "--actor", "bea",
            "--category", "voids", "--category", "refunds,failed_sign_ins");
        Assert.True(staff.Code == 0, staff.Error);
        Assert.Equal(["auth.login_failed", "account.refund", "pos.refund", "account.void"],
            staff.Output.Split('\n').Skip(1).SkipLast(2).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries)[2].Trim()));

        var csv = await RunAsync("audit", "--since", "2026-03-01", "--category", "failed_sign_ins", "--csv");
        Assert.True(csv.Code == 0, csv.Error);
        var rows = csv.Output.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("audit_id,occurred_at,action,category,actor,actor_name,user_id,username,client_id,remote_address,entity,entity_id,"
            + "patron_id,cash_register_id,amount,note,details", rows[0]);
        Assert.Matches(@"^\d+,2026-03-01T12:00:00Z,auth\.login_failed,failed_sign_ins,anonymous,anonymous,,,,192\.0\.2\.7,staff_user,,,,,,""\{""""username"""": """"BEA""""\}""$",
            Assert.Single(rows.Skip(1)));

        // The command line's own acts are in the log too, under its actor.
        var own = await RunAsync("audit", "--since", "2000-01-01", "--actor", "cli", "--action", "user.create");
        Assert.True(own.Code == 0, own.Error);
        Assert.Contains($"cli ({Environment.UserName})", own.Output, StringComparison.Ordinal);
        Assert.EndsWith("1 entry" + Environment.NewLine, own.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("since must be a UTC ISO 8601 time", "--since", "yesterday")]
    [InlineData("since must be a UTC ISO 8601 time", "--since", "2026-03-01T09:00:00")]
    [InlineData("category 'refund' is not one of: voids, refunds", "--since", "2026-03-01", "--category", "refund")]
    [InlineData("action 'Refund' is not an action name", "--since", "2026-03-01", "--action", "Refund")]
    [InlineData("must be after its start", "--since", "2026-03-01", "--until", "2026-02-01")]
    public async Task Audit_refuses_a_bad_filter_with_the_apis_words(string message, params string[] options)
    {
        var result = await RunAsync(["audit", .. options]);

        Assert.Equal(1, result.Code);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task A_missing_database_setting_is_explained()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await FiscusCli.RunAsync(["user", "list"], new Dictionary<string, string?> { ["FISCUS_DATABASE"] = "" }, output, error);

        Assert.Equal(2, code);
        Assert.Contains("FISCUS_DATABASE", error.ToString(), StringComparison.Ordinal);
    }
}
