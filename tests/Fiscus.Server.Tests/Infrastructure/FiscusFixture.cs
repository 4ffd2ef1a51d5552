using System.Net.Http.Headers;
using System.Text;
using Dapper;
using Fiscus.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>
/// A running Fiscus on a database of this test class's own, with helpers to act as the seeded admin, as a
/// new user of any role or as an API client, always through real credentials.
/// </summary>
public class FiscusFixture : IAsyncLifetime
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task<TestUser>> staff = new();
    string? adminToken;
    int sequence;

    public FiscusFactory Factory { get; private set; } = null!;

    public NpgsqlDataSource Db { get; private set; } = null!;

    public TestClock Clock => Factory.Clock;

    public virtual async Task InitializeAsync()
    {
        var database = TestDatabases.NewName("server");
        await TestDatabases.CreateAsync(database, await TemplateDatabase.NameAsync());
        DatabaseName = database;
        Factory = new FiscusFactory(database, Settings());
        Db = NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(database));
        _ = Factory.Services;
    }

    public virtual async Task DisposeAsync()
    {
        // Every class that wrote money leaves a ledger the verifier finds consistent, sealed as the server seals it: the
        // seal is then recomputed over whatever rows the class wrote.
        await SealAsync();
        await AssertLedgerConsistentAsync();
        await Factory.DisposeAsync();
        await Db.DisposeAsync();
        await TestDatabases.DropAsync(Factory.Database);
    }

    /// <summary>This class's database, set before <see cref="Settings"/> is asked.</summary>
    protected string DatabaseName { get; private set; } = "";

    /// <summary>Settings on top of the test defaults, for a fixture that needs them (the SIP2 listener's).</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings() => null;

    /// <summary>A unique suffix for names within this class's database.</summary>
    public string Unique(string prefix) => $"{prefix}{Interlocked.Increment(ref sequence)}";

    public HttpClient Anonymous() => Factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });

    public HttpClient WithBearer(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient WithBasic(string username, string password)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        return client;
    }

    public async Task<HttpClient> AdminAsync() => WithBearer(adminToken ??= await LoginAsync("admin", FiscusFactory.AdminPassword));

    public async Task<string> LoginAsync(string username, string password)
    {
        using var response = await Anonymous().PostAsync("/api/v1/auth/login", Json.Body(new { username, password }));
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        return body["access_token"]!.GetValue<string>();
    }

    /// <summary>One signed-in user of this role, shared by the class's tests that only need "a cashier".</summary>
    public Task<TestUser> StaffAsync(string role) => staff.GetOrAdd(role, r => UserAsync(r));

    /// <summary>Creates a staff user through the API and signs them in.</summary>
    public async Task<TestUser> UserAsync(string role, string? libraryId = null)
    {
        var username = Unique(role);
        var password = $"{Unique("tally")}-river-stone";
        var admin = await AdminAsync();
        using var response = await admin.PostAsync("/api/v1/users",
            Json.Body(new { username, password, role, library_id = libraryId }));
        var body = await response.ExpectAsync(HttpStatusCode.Created);
        var token = await LoginAsync(username, password);
        return new TestUser(body["user_id"]!.GetValue<long>(), username, password, token, WithBearer(token));
    }

    /// <summary>Creates an API client through the API and gets it a client-credentials token.</summary>
    public async Task<TestClient> ClientAsync(string[] scopes, int? cashRegisterId = null, string? libraryId = null)
    {
        var admin = await AdminAsync();
        using var response = await admin.PostAsync("/api/v1/clients", Json.Body(new
        {
            name = Unique("client"), scopes, cash_register_id = cashRegisterId, library_id = libraryId,
        }));
        var body = await response.ExpectAsync(HttpStatusCode.Created);
        var clientId = body["client_id"]!.GetValue<string>();
        var secret = body["client_secret"]!.GetValue<string>();
        var token = await ClientTokenAsync(clientId, secret);
        return new TestClient(clientId, secret, token, WithBearer(token));
    }

    public async Task<string> ClientTokenAsync(string clientId, string secret)
    {
        using var response = await Anonymous().PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
        }));
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        return body["access_token"]!.GetValue<string>();
    }

    /// <summary>Adds a patron through the API (as the admin) and returns its id.</summary>
    public async Task<long> PatronAsync(string libraryId = "MAIN", bool secured = false)
    {
        using var response = await (await AdminAsync()).PostAsync("/api/v1/patrons", Json.Body(new
        {
            cardnumber = Unique("card"), surname = Unique("Surname"), library_id = libraryId, secured,
        }));
        return (await response.ExpectAsync(HttpStatusCode.Created))["patron_id"]!.GetValue<long>();
    }

    /// <summary>Charges a patron through the API (as the admin) and returns the debit line.</summary>
    public async Task<JsonNode> DebitAsync(long patronId, decimal amount, string type = "MANUAL")
    {
        using var response = await (await AdminAsync()).PostAsync($"/api/v1/patrons/{patronId}/account/debits",
            Json.Body(new { amount, type, description = $"{type} charge" }));
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public async Task<JsonNode> AccountAsync(long patronId)
    {
        using var response = await (await AdminAsync()).GetAsync($"/api/v1/patrons/{patronId}/account");
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public async Task<decimal> BalanceAsync(long patronId) => (await AccountAsync(patronId))["balance"]!.GetValue<decimal>();

    /// <summary>Seals what was written so far, as the server's background sealer would (it is off in tests).</summary>
    public Task<Fiscus.Ledger.Sealing.SealAttempt> SealAsync() => Fiscus.Ledger.Sealing.LedgerSealer.SealAsync(Db, CancellationToken.None);

    /// <summary>
    /// Seals until nothing written so far waits for a seal. A seal reaches only as far as the oldest transaction still running
    /// anywhere on the server, and other classes' transactions run beside this one's, so it may take a few rounds.
    /// </summary>
    public async Task<Fiscus.Ledger.Sealing.LedgerSeal> SealAllAsync()
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await SealAsync();
            await using var connection = await Db.OpenConnectionAsync();
            var status = await Fiscus.Ledger.Sealing.SealStatus.ReadAsync(connection, null, CancellationToken.None);
            if (status.Latest is { } latest && status.RowsWaiting == 0)
            {
                return latest;
            }
            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"{status.RowsWaiting} row(s) still wait for a seal after 30 s");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Runs the ledger verifier over this class's database; any violation fails the test.</summary>
    public async Task AssertLedgerConsistentAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        var report = await Fiscus.Ledger.Verification.LedgerVerifier.VerifyAsync(connection, CancellationToken.None);
        Assert.True(report.IsClean, "ledger violations: " + string.Join("; ", report.Violations.Select(v => $"{v.Check}: {v.Detail}")));
    }

    /// <summary>The user id that stands for an API client on the Koha routes (its service user).</summary>
    public Task<long> ServiceUserIdAsync(string clientId) =>
        ScalarAsync<long>("SELECT service_user_id FROM api_clients WHERE client_id = @clientId", new { clientId });

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.QueryAsync<T>(sql, parameters)).AsList();
    }
}

public sealed record TestUser(long UserId, string Username, string Password, string Token, HttpClient Http);

public sealed record TestClient(string ClientId, string Secret, string Token, HttpClient Http);
