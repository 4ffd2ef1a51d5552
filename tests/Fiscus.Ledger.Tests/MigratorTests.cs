using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Fiscus.Ledger.Tests;

public sealed class MigratorTests() : OwnDatabase("migrate")
{
    Migrator NewMigrator(NpgsqlDataSource? source = null) => new(source ?? DataSource, NullLogger<Migrator>.Instance);

    [Fact]
    public async Task An_empty_database_gets_every_migration_and_the_ledger_tables()
    {
        var applied = await NewMigrator().MigrateAsync(CancellationToken.None);

        Assert.Equal(Migration.All.Select(m => m.Version), applied.Select(m => m.Version));
        await using var connection = await DataSource.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToHashSet();
        string[] expected =
        [
            "libraries", "patrons", "staff_users", "api_clients", "access_tokens", "cash_registers", "debit_types",
            "credit_types", "payment_types", "account_lines", "account_offsets", "audit_log", "idempotency_keys",
            "installation", "schema_migrations",
        ];
        Assert.All(expected, table => Assert.Contains(table, tables));
        Assert.Equal(Migration.All.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Running_again_applies_nothing_and_changes_nothing()
    {
        await NewMigrator().MigrateAsync(CancellationToken.None);

        var second = await NewMigrator().MigrateAsync(CancellationToken.None);

        Assert.Empty(second);
        await using var connection = await DataSource.OpenConnectionAsync();
        Assert.Equal(Migration.All.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Instances_migrating_at_once_apply_each_migration_exactly_once()
    {
        // Separate data sources: separate sessions, as separate Fiscus processes would have.
        var sources = Enumerable.Range(0, 6).Select(_ => NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(Database))).ToList();
        try
        {
            using var start = new ManualResetEventSlim();
            var runs = sources.Select(source => Task.Run(async () =>
            {
                start.Wait();
                return await NewMigrator(source).MigrateAsync(CancellationToken.None);
            })).ToList();
            start.Set();
            var results = await Task.WhenAll(runs);

            Assert.Equal(Migration.All.Count, results.Sum(r => r.Count));
            Assert.Single(results, r => r.Count > 0);
            await using var connection = await DataSource.OpenConnectionAsync();
            Assert.Equal(Migration.All.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_stops_the_start()
    {
        await NewMigrator().MigrateAsync(CancellationToken.None);
        await using (var connection = await DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
        }

        var error = await Assert.ThrowsAsync<MigrationException>(() => NewMigrator().MigrateAsync(CancellationToken.None));
        Assert.Contains("changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_from_a_newer_build_is_refused()
    {
        await NewMigrator().MigrateAsync(CancellationToken.None);
        await using (var connection = await DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')");
        }

        var error = await Assert.ThrowsAsync<MigrationException>(() => NewMigrator().MigrateAsync(CancellationToken.None));
        Assert.Contains("9999", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Upgrading a Database that already holds money: each migration must carry the data forward.</summary>
public sealed class MigrationUpgradeTests() : OwnDatabase("upgrade")
{
    [Fact]
    public async Task Register_lines_written_before_sessions_existed_join_the_registers_first_session()
    {
        var migrator = new Migrator(DataSource, NullLogger<Migrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None, upToVersion: 2);
        await using (var connection = await DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO libraries (library_id, name, time_zone, created_at, updated_at) VALUES ('MAIN', 'Main', 'UTC', now(), now());
                INSERT INTO cash_registers (name, library_id, starting_float_minor, created_at, updated_at) VALUES ('Desk', 'MAIN', 5000, now(), now());
                INSERT INTO credit_types (code, description, created_at, updated_at) VALUES ('PAYMENT', 'Payment', now(), now());
                INSERT INTO payment_types (code, payment_type_uuid, description, counts_as_cash, created_at, updated_at)
                VALUES ('CASH', gen_random_uuid(), 'Cash', true, now(), now());
                INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at) VALUES ('U1', 'Upgrade', 'MAIN', now(), now());
                INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
                VALUES (gen_random_uuid(), 'upgrader', 'x', 'cashier', now(), now(), now());
                WITH c AS (INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type,
                                                      cash_register_id, user_id, interface, posted_at)
                           SELECT patron_id, 'PAYMENT', -700, -700, 'CASH', 1, (SELECT user_id FROM staff_users), 'api', now()
                           FROM patrons RETURNING account_line_id)
                INSERT INTO account_offsets (credit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', -700, now() FROM c;
                """);
        }

        var applied = await migrator.MigrateAsync(CancellationToken.None);

        Assert.Contains(applied, m => m.Version == 3);
        await using var check = await DataSource.OpenConnectionAsync();
        var session = await check.QuerySingleAsync<(long Id, string Status, long Float)>(
            "SELECT register_session_id, status, float_minor FROM register_sessions WHERE cash_register_id = 1");
        Assert.Equal(("open", 5000L), (session.Status, session.Float));
        Assert.Equal(session.Id, await check.ExecuteScalarAsync<long>("SELECT register_session_id FROM account_lines WHERE cash_register_id = 1"));
        // Its register movement is written too, so the session's totals include it.
        Assert.Equal(("in", "CASH", 700L), await check.QuerySingleAsync<(string, string, long)>(
            "SELECT kind, payment_type, amount_minor FROM register_movements WHERE register_session_id = @Id", new { session.Id }));
        Assert.True((await Verification.LedgerVerifier.VerifyAsync(check, CancellationToken.None)).IsClean);
        // Every line names its writer, so the rule holds for the history too.
        Assert.True(await check.ExecuteScalarAsync<bool>("SELECT convalidated FROM pg_constraint WHERE conname = 'account_lines_has_actor'"));
    }

    [Fact]
    public async Task A_line_written_by_hand_without_a_writer_before_0010_is_kept_and_named_by_the_verifier()
    {
        var migrator = new Migrator(DataSource, NullLogger<Migrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None, upToVersion: 9);
        long line;
        await using (var connection = await DataSource.OpenConnectionAsync())
        {
            await Transactions.RunAsync(DataSource, (c, t) => ReferenceData.Installation.EnsureAsync(c, t, Money.Currency.Usd, "UTC",
                DateTimeOffset.UtcNow, CancellationToken.None), CancellationToken.None);
            line = await connection.ExecuteScalarAsync<long>("""
                WITH p AS (INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
                           VALUES ('U2', 'Upgrade', 'MAIN', now(), now()) RETURNING patron_id),
                     d AS (INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, interface, posted_at)
                           SELECT patron_id, 'MANUAL', 500, 500, 'api', now() FROM p RETURNING account_line_id)
                INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 500, now() FROM d
                RETURNING debit_id
                """);
        }

        await migrator.MigrateAsync(CancellationToken.None);

        await using var check = await DataSource.OpenConnectionAsync();
        // History stays as it is (the migration does not fail on it), new lines are held to the rule, and `fiscus verify` says which line it was.
        Assert.False(await check.ExecuteScalarAsync<bool>("SELECT convalidated FROM pg_constraint WHERE conname = 'account_lines_has_actor'"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => check.ExecuteAsync("""
            INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, interface, posted_at)
            SELECT patron_id, 'MANUAL', 500, 500, 'api', now() FROM patrons
            """));
        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
        var report = await Verification.LedgerVerifier.VerifyAsync(check, CancellationToken.None);
        Assert.Equal(("lines say who wrote them", $"line {line}: a MANUAL of 500 written by no one"),
            (Assert.Single(report.Violations).Check, report.Violations[0].Detail));
    }
    [Fact]
    public async Task An_installation_seeded_before_shifts_gets_the_cash_movement_types()
    {
        var migrator = new Migrator(DataSource, NullLogger<Migrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None, upToVersion: 3);
        await using (var connection = await DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO installation (currency_code, currency_exponent, created_at) VALUES ('USD', 2, now())");
        }

        await migrator.MigrateAsync(CancellationToken.None);

        await using var check = await DataSource.OpenConnectionAsync();
        Assert.Equal("Cash paid into a drawer", await check.ExecuteScalarAsync<string>("SELECT description FROM credit_types WHERE code = 'PAID_IN' AND is_system"));
        Assert.Equal("Cash paid out of a drawer", await check.ExecuteScalarAsync<string>("SELECT description FROM debit_types WHERE code = 'PAID_OUT' AND is_system"));
    }
    [Fact]
    public async Task Payment_type_names_that_clash_ignoring_case_and_accents_are_told_apart_before_they_must_be_unique()
    {
        var migrator = new Migrator(DataSource, NullLogger<Migrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None, upToVersion: 4);
        await using (var connection = await DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO payment_types (code, payment_type_uuid, description, created_at, updated_at) VALUES
                    ('CHEQUE', gen_random_uuid(), 'Chèque', now(), now()),
                    ('CHEQUE2', gen_random_uuid(), 'CHEQUE', now(), now()),
                    ('VOUCHER', gen_random_uuid(), 'Voucher', now(), now()),
                    -- Codes sharing a long prefix, and a name already like the one the third would be given.
                    ('VISA', gen_random_uuid(), 'Visa', now(), now()),
                    ('VISA_DEBIT', gen_random_uuid(), 'VISA', now(), now()),
                    ('VISA_DESK', gen_random_uuid(), 'visa', now(), now()),
                    ('VISAX', gen_random_uuid(), 'Visa (VISA_DESK)', now(), now());
                """);
        }

        await migrator.MigrateAsync(CancellationToken.None);

        await using var check = await DataSource.OpenConnectionAsync();
        var names = (await check.QueryAsync<(string Code, string Description)>("SELECT code, description FROM payment_types ORDER BY code")).ToList();
        Assert.Equal([("CHEQUE", "Chèque"), ("CHEQUE2", "CHEQUE (CHEQUE2)"), ("VISA", "Visa"), ("VISAX", "Visa (VISA_DESK)"),
            ("VISA_DEBIT", "VISA (VISA_DEBIT)"), ("VISA_DESK", "visa (VISA_DESK 2)"), ("VOUCHER", "Voucher")], names);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => check.ExecuteAsync(
            "INSERT INTO payment_types (code, payment_type_uuid, description, created_at, updated_at) VALUES ('V2', gen_random_uuid(), 'vouchér', now(), now())"));
    }

    [Theory]
    [InlineData("ÉCU", "écu")]
    [InlineData("БАНК", "банк")]
    [InlineData("Crédit", "CREDIT")]
    [InlineData("ŁÓDŹ", "łodz")]
    public async Task Names_fold_to_the_same_text_even_under_the_C_locale(string one, string other)
    {
        await new Migrator(DataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        await using var connection = await DataSource.OpenConnectionAsync();

        // A database created with LC_CTYPE=C lower-cases ASCII only; the fold must not depend on it.
        var folded = await connection.QuerySingleAsync<(string One, string Other)>(
            "SELECT fiscus_fold(@one COLLATE \"C\"), fiscus_fold(@other COLLATE \"C\")", new { one, other });

        Assert.Equal(folded.One, folded.Other);
    }
}

/// <summary>A database in another encoding is refused with a message that says what to do, not a collation error.</summary>
public sealed class NonUtf8DatabaseTests : IAsyncLifetime
{
    readonly string database = TestDatabases.NewName("ascii");

    public async Task InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(TestDatabases.ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        await connection.ExecuteAsync($"CREATE DATABASE \"{database}\" ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    }

    public Task DisposeAsync() => TestDatabases.DropAsync(database);

    [Fact]
    public async Task Migrating_a_SQL_ASCII_database_stops_saying_it_must_be_UTF8()
    {
        await using var source = NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(database));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => new Migrator(source, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None));

        Assert.Contains("Fiscus needs a UTF8 database, and this one is SQL_ASCII", error.Message, StringComparison.Ordinal);
    }
}
