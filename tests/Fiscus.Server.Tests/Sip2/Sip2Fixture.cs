using System.Net;
using Dapper;
using Fiscus.Server.Auth;
using Fiscus.Server.Sip2;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Server.Tests.Sip2;

/// <summary>
/// Fiscus with its SIP2 listener on a real TCP socket (127.0.0.1, a port the system picks), and what the kiosk tests
/// set up through the API: registers, patrons and their fines, SIP logins.
/// </summary>
public class Sip2Fixture : FiscusFixture
{
    public const string Currency = "USD";

    protected override IReadOnlyDictionary<string, string?>? Settings() => new Dictionary<string, string?>
    {
        [Sip2Options.UrlsSetting] = "tcp://127.0.0.1:0",
        ["FISCUS_SIP2_IDLE_TIMEOUT_SECONDS"] = "5",
        ["FISCUS_SIP2_MAX_MESSAGE_BYTES"] = "1024",
    };

    /// <summary>A count from the class's database.</summary>
    public Task<long> CountAsync(string sql, object? parameters = null) => ScalarAsync<long>(sql, parameters);

    public Sip2Server Server => Factory.Services.GetRequiredService<Sip2Server>();

    public int Port => Server.BoundEndPoints[0].Port;

    public Task<Sip2Client> ConnectAsync(bool errorDetection = false) =>
        Sip2Client.ConnectAsync(IPAddress.Loopback.ToString(), Port, new Sip2ClientOptions { ErrorDetection = errorDetection });

    /// <summary>A register of its own in MAIN (so each test's takings are its own).</summary>
    public async Task<int> RegisterAsync(string libraryId = "MAIN")
    {
        using var response = await (await AdminAsync()).PostAsync("/api/v1/cash_registers",
            Json.Body(new { name = Unique("Kiosk register "), library_id = libraryId }));
        return (await response.ExpectAsync(HttpStatusCode.Created))["cash_register_id"]!.GetValue<int>();
    }

    /// <summary>A patron with a card number the test knows, optionally a PIN, and these fines (oldest first).</summary>
    public async Task<(long PatronId, string Card, long[] Fines)> PatronWithFinesAsync(string? pin = null, string libraryId = "MAIN", params decimal[] fines)
    {
        var patron = await PatronAsync(libraryId);
        var card = await ScalarAsync<string>("SELECT cardnumber FROM patrons WHERE patron_id = @patron", new { patron });
        if (pin is not null)
        {
            using var set = await (await AdminAsync()).PutAsync($"/api/v1/patrons/{patron}/pin", Json.Body(new { pin }));
            await set.ExpectAsync(HttpStatusCode.NoContent);
        }
        var ids = new List<long>();
        foreach (var amount in fines)
        {
            ids.Add((await DebitAsync(patron, amount))["account_line_id"]!.GetValue<long>());
        }
        return (patron, card, ids.ToArray());
    }

    /// <summary>A SIP login through the admin API; returns its name and password.</summary>
    public async Task<(string Login, string Password)> SipLoginAsync(int registerId, object? settings = null, string libraryId = "MAIN")
    {
        var login = Unique("kiosk");
        const string password = "kiosk-password-2718";
        var body = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(settings ?? new { }))!.AsObject();
        body["login"] = login;
        body["password"] = password;
        body["library_id"] = libraryId;
        body["cash_register_id"] = registerId;
        using var response = await (await AdminAsync()).PostAsync("/api/v1/sip_logins", Json.Body(body));
        await response.ExpectAsync(HttpStatusCode.Created);
        return (login, password);
    }

    /// <summary>A connection logged in as a new login on a new register.</summary>
    public async Task<(Sip2Client Kiosk, int Register, string Login)> KioskAsync(object? settings = null, bool errorDetection = false)
    {
        var register = await RegisterAsync();
        var (login, password) = await SipLoginAsync(register, settings);
        var kiosk = await ConnectAsync(errorDetection);
        var answer = await kiosk.LoginAsync(login, password);
        Assert.Equal("941", answer.Raw[..3]);
        return (kiosk, register, login);
    }
}
