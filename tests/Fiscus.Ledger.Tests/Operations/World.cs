using System.Globalization;
using Dapper;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Verification;
using Npgsql;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// A row's own corner of the class's database: a patron of MAIN, a till (a register of MAIN with a float of 20.00 and its first
/// session open), another register of MAIN, and a cashier and a manager. Lines the row's steps write are named, so the command
/// can refer to them. Commands run as the runtime role, one transaction each, committed only when they succeed, as the server
/// runs them.
/// </summary>
public sealed class World
{
    public const int UnknownRegister = 987_654;
    public const long UnknownLine = 987_654_321;
    public const long UnknownPatron = 987_654_321;
    public const long TillFloatMinor = 2000;

    readonly Dictionary<string, long> names = new(StringComparer.Ordinal);
    readonly Dictionary<int, string> registerNames;
    readonly Dictionary<long, string> userNames;

    World(OperationsDatabase database, long patron, int till, int otherTill, long cashier, long manager)
    {
        Database = database;
        Patron = patron;
        Till = till;
        OtherTill = otherTill;
        CashierUserId = cashier;
        ManagerUserId = manager;
        registerNames = new()
        {
            [1] = "main", [till] = "till", [otherTill] = "other", [database.ElsewhereRegister] = "elsewhere",
            [database.ArchivedRegister] = "archived",
        };
        userNames = new() { [cashier] = "cashier", [manager] = "manager" };
    }

    public OperationsDatabase Database { get; }

    public long Patron { get; }

    public int Till { get; }

    public int OtherTill { get; }

    public long CashierUserId { get; }

    public long ManagerUserId { get; }

    public int ElsewhereRegister => Database.ElsewhereRegister;

    public int ArchivedRegister => Database.ArchivedRegister;

    /// <summary>More cashiers (<see cref="Given.Cashiers"/>), for races between people.</summary>
    public List<long> Cashiers { get; } = [];

    /// <summary>A library of the row's own with a default register (<see cref="Given.HomeLibrary"/>), for shifts that name no register.</summary>
    public string? HomeLibrary { get; private set; }

    /// <summary>A line a step wrote, by the name the row gave it.</summary>
    public long this[string name] => names.TryGetValue(name, out var id)
        ? id
        : throw new InvalidOperationException($"No step named a line '{name}'; named: {string.Join(", ", names.Keys)}.");

    public void Name(string name, long id) => names.Add(name, id);

    public static async Task<World> CreateAsync(OperationsDatabase database)
    {
        await using var owner = await database.Owner.OpenConnectionAsync();
        var (patron, till, other, cashier, manager) = await owner.QuerySingleAsync<(long, int, int, long, long)>($"""
            WITH patron AS (
                     INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
                     VALUES (left(md5(random()::text), 20), 'Row', 'MAIN', now(), now()) RETURNING patron_id),
                 registers AS (
                     INSERT INTO cash_registers (name, library_id, starting_float_minor, created_at, updated_at)
                     VALUES (left(md5(random()::text), 20), 'MAIN', {TillFloatMinor}, now(), now()),
                            (left(md5(random()::text), 20), 'MAIN', {TillFloatMinor}, now(), now())
                     RETURNING cash_register_id),
                 sessions AS (
                     INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
                     SELECT cash_register_id, 'open', {TillFloatMinor}, now() FROM registers),
                 users AS (
                     INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
                     SELECT gen_random_uuid(), role || '-' || left(md5(random()::text), 12), 'x', role, now(), now(), now()
                     FROM unnest(ARRAY['cashier', 'manager']) AS role
                     RETURNING user_id, role)
            SELECT (SELECT patron_id FROM patron), (SELECT min(cash_register_id) FROM registers), (SELECT max(cash_register_id) FROM registers),
                   (SELECT user_id FROM users WHERE role = 'cashier'), (SELECT user_id FROM users WHERE role = 'manager')
            """);
        return new World(database, patron, till, other, cashier, manager);
    }

    public LedgerActor Staff(long userId, IEnumerable<string> scopes) =>
        new(userId, null, "api", null, Binding.None, scopes.ToHashSet(StringComparer.Ordinal));

    public LedgerActor Client(Binding binding, IEnumerable<string> scopes) =>
        new(null, Database.ApiClientId, "api", binding.LibraryId, binding, scopes.ToHashSet(StringComparer.Ordinal));

    /// <summary>One command as one transaction of the runtime role, committed only if it succeeds.</summary>
    public Task<Outcome<T>> RunAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<Outcome<T>>> command) =>
        Transactions.RunAsync(Database.Runtime, command, outcome => outcome.Succeeded, CancellationToken.None);

    /// <summary>
    /// A command on the row's patron's account (or <paramref name="patron"/>'s), opened for writing by <paramref name="actor"/>, with
    /// the references <paramref name="preload"/> names read in the same round trip as the lock (as the intake endpoint opens it).
    /// </summary>
    public Task<Outcome<T>> OnAccountAsync<T>(
        LedgerActor actor, Func<PatronAccount, Task<Outcome<T>>> command, long? patron = null, ReferencePreload? preload = null) =>
        RunAsync(async (connection, transaction) =>
        {
            var opened = await PatronAccount.OpenForWriteAsync(connection, transaction, patron ?? Patron, actor, DateTimeOffset.UtcNow,
                CancellationToken.None, preload);
            return opened.Failure is { } failure ? failure : await command(opened.Value!);
        });

    /// <summary>Runs a step's command, which must succeed, and names the line <paramref name="line"/> picks from what it did.</summary>
    public async Task<T> MustAsync<T>(Task<Outcome<T>> command, string? name = null, Func<T, long>? line = null)
    {
        var outcome = await command;
        if (outcome.Failure is { } failure)
        {
            throw new InvalidOperationException($"A row's step was refused: {failure}");
        }
        if (name is not null)
        {
            Name(name, line!(outcome.Value!));
        }
        return outcome.Value!;
    }

    public async Task AddCashiersAsync(int count)
    {
        await using var owner = await Database.Owner.OpenConnectionAsync();
        Cashiers.AddRange(await owner.QueryAsync<long>("""
            INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
            SELECT gen_random_uuid(), 'cashier-' || left(md5(random()::text), 12), 'x', 'cashier', now(), now(), now() FROM generate_series(1, @count)
            RETURNING user_id
            """, new { count }));
    }

    public async Task<long> NewPatronAsync(string library = OperationsDatabase.Main)
    {
        await using var owner = await Database.Owner.OpenConnectionAsync();
        return await owner.ExecuteScalarAsync<long>("""
            INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
            VALUES (left(md5(random()::text), 20), 'Other', @library, now(), now()) RETURNING patron_id
            """, new { library });
    }

    public async Task ExecuteAsync(string sql, object? parameters = null)
    {
        await using var owner = await Database.Owner.OpenConnectionAsync();
        await owner.ExecuteAsync(sql, parameters);
    }

    public async Task<string> AddHomeLibraryAsync()
    {
        HomeLibrary = "H" + Guid.NewGuid().ToString("N")[..9].ToUpperInvariant();
        await using var owner = await Database.Owner.OpenConnectionAsync();
        var register = await owner.ExecuteScalarAsync<int>("""
            INSERT INTO libraries (library_id, name, time_zone, created_at, updated_at) VALUES (@HomeLibrary, @HomeLibrary, 'UTC', now(), now());
            WITH register AS (
                INSERT INTO cash_registers (name, library_id, starting_float_minor, library_default, created_at, updated_at)
                VALUES ('home', @HomeLibrary, 1000, true, now(), now()) RETURNING cash_register_id)
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
            SELECT cash_register_id, 'open', 1000, now() FROM register RETURNING cash_register_id
            """, new { HomeLibrary });
        registerNames[register] = "home";
        return HomeLibrary;
    }

    public string RegisterName(int id) => registerNames.GetValueOrDefault(id, "#" + id.ToString(CultureInfo.InvariantCulture));

    public string UserName(long id) => userNames.GetValueOrDefault(id, "user " + id.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Runs the row: its steps, then the command, then checks <see cref="Then"/> against what changed in the whole database,
    /// and that the ledger verifies clean.
    /// </summary>
    public async Task CheckAsync(Row row)
    {
        foreach (var step in row.Given)
        {
            await step(this);
        }
        var before = await LedgerState.ReadAsync(this);

        var answer = await row.Command(this, row.Who(this));

        var after = await LedgerState.ReadAsync(this);
        var then = row.Then;
        if (then.Refuses)
        {
            Assert.True(answer.Failure is not null, $"Expected {then.Kind} {then.Code}, but the command succeeded: {answer.Text}");
            Assert.Equal((then.Kind, then.Code), (answer.Failure.Kind, answer.Failure.Code));
            Assert.Equal(then.Fields.Order(StringComparer.Ordinal), (answer.Failure.Errors?.Keys ?? []).Order(StringComparer.Ordinal));
            Assert.Empty(LedgerState.Changes(before, after));
            Assert.Equal(before.Records, after.Records);
            Assert.Equal(before.BalanceMinor, after.BalanceMinor);
        }
        else
        {
            Assert.True(answer.Failure is null, $"Expected success, but the command was refused: {answer.Failure}");
            Assert.Equal(then.Lines, LedgerState.Changes(before, after));
            Assert.Equal(then.BalanceMinor, after.BalanceMinor);
            if (answer.BalanceMinor is { } reported)
            {
                Assert.Equal(after.BalanceMinor, reported);
            }
            if (then.Answer is not null)
            {
                Assert.Equal(then.Answer, answer.Text);
            }
        }
        await AssertVerifiesAsync();
    }

    /// <summary>Every ledger invariant holds over the whole database, as `fiscus verify` checks it, as the server's role.</summary>
    public async Task AssertVerifiesAsync()
    {
        await using var runtime = await Database.Runtime.OpenConnectionAsync();
        var report = await LedgerVerifier.VerifyAsync(runtime, CancellationToken.None);
        Assert.True(report.IsClean, "The verifier found: " + string.Join("; ", report.Violations.Select(v => $"{v.Check}: {v.Detail}")));
    }
}
