using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;
using Fiscus.Server.StaffApp;

namespace Fiscus.Server.Tests;

/// <summary>
/// Every endpoint, for every kind of caller: no credentials, the role ladder (cashier, manager, admin), an API client
/// with exactly one scope, a client bound to a register and a client bound to a library. Each row names an endpoint,
/// the scope it needs, the lowest role that holds it and what a binding does to it. Paths name resources through
/// placeholders that each caller fills with its own world (a patron, register, line, sale, cash-up, shift and library
/// within its binding) or with another's. Requests the caller may make carry an empty body, so they get past
/// authorization and the binding and stop at validation (400) or a record's state; a request a bound client must be
/// refused carries a valid body, so nothing but the binding can stop it.
/// </summary>
/// <remarks>The server serves its metrics (FISCUS_METRICS=true), so <c>/metrics</c> is in the matrix too.</remarks>
public sealed class AuthorizationMatrixTests(MetricsFixture fiscus) : IClassFixture<MetricsFixture>
{
    /// <summary>How an endpoint treats a client bound to a register or a library.</summary>
    public enum Access
    {
        /// <summary>Open to anyone (sign-in, health, the OpenAPI document).</summary>
        Anonymous,
        /// <summary>Any signed-in caller, about itself.</summary>
        Self,
        /// <summary>Data every library shares (reference data): a bound client reads it like anyone.</summary>
        Shared,
        /// <summary>Confined to the binding: the caller's own resources answer, another library's or register's are 403 outside_binding.</summary>
        Confined,
        /// <summary>Changes what every library shares, or reads the audit log: a bound client is refused (403 outside_binding) even holding the scope.</summary>
        InstallationWide,
        /// <summary>A staff member's own business (users, clients, shifts): no client can do it.</summary>
        StaffOnly,
    }

    /// <param name="Scope">The scopes the endpoint needs, space-separated as in OAuth.</param>
    public sealed record Row(string Method, string Path, string? Scope, string LowestRole, Access Access, string? RefusedBody = null)
    {
        public string[] Scopes => Scope?.Split(' ') ?? [];

        public override string ToString() => $"{Method} {Path}";
    }

    const string Nobody = "00000000-0000-4000-8000-000000000000";

    static readonly Row[] Rows =
    [
        new("POST", "/api/v1/auth/login", null, "cashier", Access.Anonymous),
        new("POST", "/api/v1/oauth/token", null, "cashier", Access.Anonymous),
        new("GET", "/health/live", null, "cashier", Access.Anonymous),
        new("GET", "/health/ready", null, "cashier", Access.Anonymous),
        new("GET", "/api/v1/openapi.json", null, "cashier", Access.Anonymous),
        new("GET", "/api/v1/auth/me", null, "cashier", Access.Self),
        new("POST", "/api/v1/auth/logout", null, "cashier", Access.Self),
        new("GET", "/api/v1/installation", null, "cashier", Access.Self),
        new("GET", "/api/v1/scopes", null, "cashier", Access.Self),

        new("GET", "/api/v1/libraries", "reference:read", "cashier", Access.Shared),
        new("GET", "/api/v1/libraries/{library}", "reference:read", "cashier", Access.Shared),
        new("POST", "/api/v1/libraries", "libraries:write", "admin", Access.InstallationWide),
        new("PUT", "/api/v1/libraries/{library}", "libraries:write", "admin", Access.InstallationWide),
        new("GET", "/api/v1/fee_fine_owners", "reference:read", "cashier", Access.Shared),
        new("GET", $"/api/v1/fee_fine_owners/{Nobody}", "reference:read", "cashier", Access.Shared),
        new("POST", "/api/v1/fee_fine_owners", "reference:write", "manager", Access.InstallationWide),
        new("PUT", $"/api/v1/fee_fine_owners/{Nobody}", "reference:write", "manager", Access.InstallationWide),

        new("GET", "/api/v1/cash_registers?library_id={library}", "registers:read", "cashier", Access.Confined),
        new("GET", "/api/v1/cash_registers/{register}", "registers:read", "cashier", Access.Confined),
        new("POST", "/api/v1/cash_registers", "registers:write", "admin", Access.InstallationWide),
        new("PUT", "/api/v1/cash_registers/{register}", "registers:write", "admin", Access.InstallationWide),
        new("POST", "/api/v1/cash_registers/999/archive", "registers:write", "admin", Access.InstallationWide),
        new("POST", "/api/v1/cash_registers/999/unarchive", "registers:write", "admin", Access.InstallationWide),

        new("GET", "/api/v1/debit_types", "reference:read", "cashier", Access.Shared),
        new("GET", "/api/v1/debit_types/PRINT", "reference:read", "cashier", Access.Shared),
        new("POST", "/api/v1/debit_types", "reference:write", "manager", Access.InstallationWide),
        new("PUT", "/api/v1/debit_types/PRINT", "reference:write", "manager", Access.InstallationWide),
        new("POST", "/api/v1/debit_types/NOPE/archive", "reference:write", "manager", Access.InstallationWide),
        new("POST", "/api/v1/debit_types/NOPE/unarchive", "reference:write", "manager", Access.InstallationWide),
        new("GET", "/api/v1/credit_types", "reference:read", "cashier", Access.Shared),
        new("GET", "/api/v1/credit_types/PAYMENT", "reference:read", "cashier", Access.Shared),
        new("POST", "/api/v1/credit_types", "reference:write", "manager", Access.InstallationWide),
        new("PUT", "/api/v1/credit_types/PAYMENT", "reference:write", "manager", Access.InstallationWide),
        new("POST", "/api/v1/credit_types/NOPE/archive", "reference:write", "manager", Access.InstallationWide),
        new("POST", "/api/v1/credit_types/NOPE/unarchive", "reference:write", "manager", Access.InstallationWide),
        new("GET", "/api/v1/payment_types", "reference:read", "cashier", Access.Shared),
        new("GET", "/api/v1/payment_types/CASH", "reference:read", "cashier", Access.Shared),
        // A new tender lets payments clear debts with money nobody counts: it needs refunds:write too.
        new("POST", "/api/v1/payment_types", "reference:write refunds:write", "manager", Access.InstallationWide),
        new("PUT", "/api/v1/payment_types/CASH", "reference:write", "manager", Access.InstallationWide),
        new("POST", "/api/v1/payment_types/NOPE/archive", "reference:write", "manager", Access.InstallationWide),
        new("POST", "/api/v1/payment_types/NOPE/unarchive", "reference:write refunds:write", "manager", Access.InstallationWide),

        new("GET", "/api/v1/patrons?library_id={library}", "accounts:read", "cashier", Access.Confined),
        new("GET", "/api/v1/patrons/{patron}", "accounts:read", "cashier", Access.Confined),
        new("POST", "/api/v1/patrons", "patrons:write", "manager", Access.Confined,
            """{"cardnumber": "{unique}", "surname": "Elsewhere", "library_id": "{library}"}"""),
        new("PUT", "/api/v1/patrons/{patron}", "patrons:write", "manager", Access.Confined,
            """{"cardnumber": "{unique}", "surname": "Moved", "library_id": "{library}", "secured": false}"""),
        new("PUT", "/api/v1/patrons/{patron}/pin", "patrons:write", "manager", Access.Confined, """{"pin": "4711"}"""),
        new("DELETE", "/api/v1/patrons/{patron}/pin", "patrons:write", "manager", Access.Confined),

        new("GET", "/api/v1/patrons/{patron}/account", "accounts:read", "cashier", Access.Confined),
        new("GET", "/api/v1/patrons/{patron}/account/debits", "accounts:read", "cashier", Access.Confined),
        new("GET", "/api/v1/patrons/{patron}/account/credits", "accounts:read", "cashier", Access.Confined),
        new("GET", "/api/v1/patrons/{patron}/account/debits/{debit}", "accounts:read", "cashier", Access.Confined),
        new("GET", "/api/v1/patrons/{patron}/account/credits/{credit}", "accounts:read", "cashier", Access.Confined),
        new("GET", "/api/v1/patrons/{patron}/account/debits/{debit}/offsets", "accounts:read", "cashier", Access.Confined),
        new("GET", "/api/v1/patrons/{patron}/account/credits/{credit}/offsets", "accounts:read", "cashier", Access.Confined),
        new("POST", "/api/v1/patrons/{patron}/account/debits", "accounts:write", "cashier", Access.Confined, """{"amount": 1, "type": "MANUAL"}"""),
        new("POST", "/api/v1/patrons/{patron}/account/credits", "payments:write", "cashier", Access.Confined,
            """{"amount": 1, "payment_type": "CARD"}"""),
        new("POST", "/api/v1/patrons/{patron}/account/payments", "payments:write", "cashier", Access.Confined,
            """{"debit_type": "PRINT", "amount": 1, "payment_type": "CARD"}"""),
        new("POST", "/api/v1/patrons/{patron}/account/credits/{credit}/void", "refunds:write", "manager", Access.Confined, "{}"),
        new("POST", "/api/v1/patrons/{patron}/account/credits/{credit}/refund", "refunds:write", "manager", Access.Confined, "{}"),
        new("POST", "/api/v1/patrons/{patron}/account/debits/{debit}/cancel", "refunds:write", "manager", Access.Confined, "{}"),
        new("POST", "/api/v1/patrons/{patron}/account/debits/{debit}/writeoff", "refunds:write", "manager", Access.Confined, "{}"),
        new("GET", "/polaris/api/v1/patrons/{patron}/accounttransactions", "accounts:read", "cashier", Access.Confined),
        new("PUT", "/polaris/api/v1/patrons/{patron}/accounttransactions/finesfees?action=pay", "payments:write", "cashier", Access.Confined,
            """{"TxnAmount": 1, "MainTxnIDs": [{debit}], "PatronPaymentMethod": 12}"""),

        new("GET", "/api/v1/cash_registers/{register}/session", "registers:read", "cashier", Access.Confined),
        new("POST", "/api/v1/cash_registers/{register}/cashups", "cashups:write", "manager", Access.Confined, """{"reconciliations": []}"""),
        new("POST", "/api/v1/cash_registers/{register}/cashups/start", "cashups:write", "manager", Access.Confined, "{}"),
        new("GET", "/api/v1/cash_registers/{register}/cashups", "registers:read", "cashier", Access.Confined),
        new("GET", "/api/v1/cashups/{cashup}", "registers:read", "cashier", Access.Confined),
        new("POST", "/api/v1/cash_registers/{register}/sales", "sales:write", "cashier", Access.Confined,
            """{"debit_type": "PRINT", "amount": 1, "payment_type": "CASH"}"""),
        new("GET", "/api/v1/cash_registers/{register}/sales", "registers:read", "cashier", Access.Confined),
        new("GET", "/api/v1/cash_registers/{register}/sales/{sale}", "registers:read", "cashier", Access.Confined),
        new("POST", "/api/v1/cash_registers/{register}/refunds", "refunds:write", "manager", Access.Confined, """{"account_line_id": {item}}"""),

        new("GET", "/api/v1/reports/daily?cash_register_id={register}", "reports:read", "manager", Access.Confined),
        new("GET", "/api/v1/reports/cash_drawer_reconciliation?from=2026-01-01&library_id={library}", "reports:read", "manager", Access.Confined),
        new("GET", "/api/v1/reports/shifts?from=2026-01-01&cash_register_id={register}", "reports:read", "manager", Access.Confined),
        new("GET", "/api/v1/reports/income_by_day?from=2026-01-01&cash_register_id={register}", "reports:read", "manager", Access.Confined),

        new("POST", "/api/v1/shifts/start", "shifts:write", "cashier", Access.StaffOnly),
        new("POST", "/api/v1/shifts/cash-transaction", "shifts:write", "cashier", Access.StaffOnly),
        new("POST", "/api/v1/shifts/end", "shifts:write", "cashier", Access.StaffOnly),
        new("GET", "/api/v1/shifts/active", "shifts:write", "cashier", Access.StaffOnly),
        new("GET", "/api/v1/shifts/current", "shifts:write", "cashier", Access.StaffOnly),
        new("GET", "/api/v1/shifts/stale?library_id={library}", "reports:read", "manager", Access.Confined),
        // One's own shift, or any with reports:read (to anyone else it does not exist: 404).
        new("GET", "/api/v1/shifts/{shift}", null, "cashier", Access.Confined),
        new("POST", "/api/v1/shifts/{shift}/end", "cashups:write", "manager", Access.StaffOnly),

        new("GET", "/payments", "reference:read", "cashier", Access.Shared),
        new("GET", $"/payments/{Nobody}", "reference:read", "cashier", Access.Shared),
        new("POST", "/payments", "reference:write refunds:write", "manager", Access.InstallationWide),
        new("PUT", $"/payments/{Nobody}", "reference:write", "manager", Access.InstallationWide),
        new("DELETE", $"/payments/{Nobody}", "reference:write", "manager", Access.InstallationWide),
        new("GET", "/owners", "reference:read", "cashier", Access.Shared),
        new("GET", $"/owners/{Nobody}", "reference:read", "cashier", Access.Shared),

        new("GET", "/api/v1/users", "users:write", "admin", Access.StaffOnly),
        new("GET", "/api/v1/users/1", "users:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/users", "users:write", "admin", Access.StaffOnly),
        new("PUT", "/api/v1/users/999", "users:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/users/999/disable", "users:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/users/999/enable", "users:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/users/999/password", "users:write", "admin", Access.StaffOnly),
        new("GET", "/api/v1/clients", "clients:write", "admin", Access.StaffOnly),
        new("GET", "/api/v1/clients/nope", "clients:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/clients", "clients:write", "admin", Access.StaffOnly),
        new("PUT", "/api/v1/clients/nope", "clients:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/clients/nope/disable", "clients:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/clients/nope/enable", "clients:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/clients/nope/secret", "clients:write", "admin", Access.StaffOnly),
        new("GET", "/api/v1/sip_logins", "clients:write", "admin", Access.StaffOnly),
        new("GET", "/api/v1/sip_logins/nope", "clients:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/sip_logins", "clients:write", "admin", Access.StaffOnly),
        new("PUT", "/api/v1/sip_logins/nope", "clients:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/sip_logins/nope/disable", "clients:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/sip_logins/nope/enable", "clients:write", "admin", Access.StaffOnly),
        new("POST", "/api/v1/sip_logins/nope/password", "clients:write", "admin", Access.StaffOnly),

        // One log of every library and of the installation's users and clients: no binding could confine it.
        new("GET", "/api/v1/audit", "audit:read", "manager", Access.InstallationWide),

        // The whole installation's figures: no binding could confine them.
        new("GET", "/metrics", "metrics:read", "admin", Access.InstallationWide),
    ];

    public static TheoryData<Row> Endpoints => new(Rows);

    static readonly string[] Ladder = ["cashier", "manager", "admin"];

    /// <summary>Every scope a client may be granted.</summary>
    static readonly string[] ClientScopes =
    [
        "accounts:read", "accounts:write", "payments:write", "sales:write", "registers:read", "reference:read", "patrons:write",
        "refunds:write", "cashups:write", "reports:read", "reference:write", "registers:write", "libraries:write", "audit:read",
        "metrics:read",
    ];

    /// <summary>The resources a caller's placeholders stand for.</summary>
    sealed record Place(long Patron, long Debit, long Credit, int Register, string Library, long Sale, long Item, long Cashup, Guid Shift);

    /// <summary>
    /// MAIN's world (a register of its own), library X's world, and MAIN's default register's sale, cash-up and shift. A
    /// register-bound client (bound to MAIN's own register) sees MAIN and is refused X's patrons and the default register; a
    /// library-bound client (bound to X) sees X and is refused MAIN; staff see everything.
    /// </summary>
    sealed record World(Place Main, Place OtherOfMain, Place X, HttpClient RegisterBound, HttpClient LibraryBound);

    static readonly ConditionalWeakTable<FiscusFixture, Task<World>> Worlds = [];

    Task<World> WorldAsync() => Worlds.GetValue(fiscus, f => BuildAsync(f));

    static async Task<World> BuildAsync(FiscusFixture fiscus)
    {
        var admin = await fiscus.AdminAsync();
        var x = fiscus.Unique("X");
        using (var created = await admin.PostAsync("/api/v1/libraries", Json.Body(new { library_id = x, name = x })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var cashier = await fiscus.UserAsync("cashier");

        async Task<Place> PlaceAsync(string library, int register)
        {
            var patron = await fiscus.PatronAsync(library);
            var debit = (await fiscus.DebitAsync(patron, 10m))["account_line_id"]!.GetValue<long>();
            using var paid = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 1m, payment_type = "CARD" }));
            var credit = (await paid.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>();
            var sale = await fiscus.SellAsync(register, 2m);
            var cashup = await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 2m } } });
            // A shift with nothing in it, opened and closed at once (shifts are born open: migration 0009).
            var shift = await fiscus.ScalarAsync<Guid>("""
                WITH opened AS (
                    INSERT INTO shifts (shift_id, user_id, cash_register_id, status, start_cash_minor, start_time)
                    VALUES (gen_random_uuid(), @UserId, @register, 'open', 0, now() - interval '2 hours') RETURNING shift_id)
                SELECT shift_id FROM opened
                """, new { cashier.UserId, register });
            await fiscus.ScalarAsync<int>("""
                UPDATE shifts SET status = 'closed', end_time = now() - interval '1 hour', expected_cash_end_minor = 0, actual_cash_end_minor = 0,
                                  ended_by_user_id = user_id, cash_in_minor = 0, cash_out_minor = 0, cash_payments_minor = 0, cash_refunds_minor = 0
                WHERE shift_id = @shift RETURNING 1
                """, new { shift });
            return new Place(patron, debit, credit, register, library, sale["sale_id"]!.GetValue<long>(),
                sale["debits"]![0]!["account_line_id"]!.GetValue<long>(), cashup["cashup_id"]!.GetValue<long>(), shift);
        }

        var main = await PlaceAsync("MAIN", await fiscus.RegisterAsync());
        var mainDefault = await PlaceAsync("MAIN", 1);
        var inX = await PlaceAsync(x, await fiscus.RegisterAsync(libraryId: x));

        // Bound behind the API's back, so they also hold the installation-wide scopes no bound client can be granted.
        async Task<HttpClient> BoundAsync(int? register, string? library)
        {
            var client = await fiscus.ClientAsync(ClientScopes);
            await fiscus.ScalarAsync<int>("UPDATE api_clients SET cash_register_id = @register, library_id = @library WHERE client_id = @ClientId RETURNING 1",
                new { register, library, client.ClientId });
            return fiscus.WithBearer(await fiscus.ClientTokenAsync(client.ClientId, client.Secret));
        }
        return new World(main, mainDefault with { Patron = inX.Patron, Debit = inX.Debit, Credit = inX.Credit, Library = x }, inX,
            await BoundAsync(main.Register, null), await BoundAsync(null, x));
    }

    string Fill(string text, Place place) => text
        .Replace("{patron}", $"{place.Patron}", StringComparison.Ordinal).Replace("{debit}", $"{place.Debit}", StringComparison.Ordinal)
        .Replace("{credit}", $"{place.Credit}", StringComparison.Ordinal).Replace("{register}", $"{place.Register}", StringComparison.Ordinal)
        .Replace("{library}", place.Library, StringComparison.Ordinal).Replace("{sale}", $"{place.Sale}", StringComparison.Ordinal)
        .Replace("{item}", $"{place.Item}", StringComparison.Ordinal).Replace("{cashup}", $"{place.Cashup}", StringComparison.Ordinal)
        .Replace("{shift}", $"{place.Shift}", StringComparison.Ordinal).Replace("{unique}", fiscus.Unique("card"), StringComparison.Ordinal);

    HttpRequestMessage Request(Row row, Place place, string? body = null) => new(new HttpMethod(row.Method), Fill(row.Path, place))
    {
        Content = row.Method is "GET" or "DELETE" ? null : Json.Raw(Fill(body ?? "{}", place)),
    };

    /// <summary>Logging out would revoke the token the rest of the matrix signs in with; the auth tests sign out.</summary>
    static bool Sendable(Row row) => row.Path != "/api/v1/auth/logout";

    static async Task<string> DescribeAsync(HttpResponseMessage response) =>
        $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.PathAndQuery}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";

    static async Task ExpectReachedAsync(HttpResponseMessage response, string who) => Assert.True(
        response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
        $"{who} should reach it: {await DescribeAsync(response)}");

    /// <summary>A refusal with this status and code, in whatever shape the endpoint's dialect writes errors.</summary>
    static async Task ExpectRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string code, string who)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{who}: expected {(int)status} {code}, got {await DescribeAsync(response)}");
        if (response.Content.Headers.ContentType?.MediaType is "text/plain")
        {
            // FOLIO's text errors carry no code; the message still says why.
            Assert.False(string.IsNullOrWhiteSpace(text));
            return;
        }
        var body = JsonNode.Parse(text)!;
        var actual = body["code"] ?? body["Code"] ?? body["error"];
        Assert.True(actual?.GetValue<string>() == code, $"{who}: expected code {code}, got {await DescribeAsync(response)}");
    }

    [Fact]
    public void Every_endpoint_is_in_the_matrix_and_every_row_is_an_endpoint()
    {
        var endpoints = fiscus.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Template: e.RoutePattern.RawText!)))
            // The staff app's own files and pages (everything outside the API's roots) are public; they hold no data.
            .Where(e => StaffAppHosting.IsApiPath("/" + e.Template.TrimStart('/')))
            .ToList();
        var sample = new Place(1, 2, 3, 4, "MAIN", 5, 6, 7, Guid.Empty);
        bool Matches(Row row, (string Method, string Template) endpoint)
        {
            var path = Fill(row.Path, sample).Split('?')[0];
            return row.Method == endpoint.Method && new TemplateMatcher(TemplateParser.Parse(endpoint.Template.TrimStart('/')), new RouteValueDictionary())
                .TryMatch(path, new RouteValueDictionary()) && endpoints.Where(e => e.Method == row.Method).All(other => other == endpoint
                    || !Literal(other.Template).Equals(path, StringComparison.Ordinal) || Literal(endpoint.Template) == path);
        }
        static string Literal(string template) => "/" + template.TrimStart('/');

        var missing = endpoints.Where(e => !Rows.Any(r => Matches(r, e))).Select(e => $"{e.Method} {e.Template}").ToList();
        var stale = Rows.Where(r => !endpoints.Any(e => Matches(r, e))).Select(r => r.ToString()).ToList();
        Assert.True(missing.Count == 0, "endpoints without a row in the matrix: " + string.Join(", ", missing));
        Assert.True(stale.Count == 0, "rows that are no endpoint: " + string.Join(", ", stale));
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Without_credentials_only_the_open_endpoints_answer(Row row)
    {
        var world = await WorldAsync();
        using var response = await fiscus.Anonymous().SendAsync(Request(row, world.Main));
        if (row.Access == Access.Anonymous)
        {
            await ExpectReachedAsync(response, "anyone");
        }
        else
        {
            await ExpectRefusedAsync(response, HttpStatusCode.Unauthorized, "unauthorized", "no credentials");
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Each_role_reaches_exactly_the_endpoints_of_its_rung_and_is_bound_to_no_library(Row row)
    {
        var world = await WorldAsync();
        if (!Sendable(row))
        {
            return;
        }
        foreach (var role in Ladder)
        {
            var user = await fiscus.StaffAsync(role);
            var allowed = row.Access is Access.Anonymous or Access.Self || Array.IndexOf(Ladder, role) >= Array.IndexOf(Ladder, row.LowestRole);
            foreach (var place in row.Access == Access.Confined ? new[] { world.Main, world.OtherOfMain, world.X } : [world.Main])
            {
                using var response = await user.Http.SendAsync(Request(row, place));
                if (allowed)
                {
                    await ExpectReachedAsync(response, role);
                }
                else
                {
                    await ExpectRefusedAsync(response, HttpStatusCode.Forbidden, "forbidden", role);
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.Contains(row.Scopes, scope => body.Contains(scope, StringComparison.Ordinal));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_client_needs_exactly_the_endpoints_scope(Row row)
    {
        if (row.Scope is null || !Sendable(row))
        {
            return;
        }
        var world = await WorldAsync();
        foreach (var scope in row.Scopes)
        {
            var everythingElse = await fiscus.ClientAsync(ClientScopes.Where(s => s != scope).ToArray());
            using var response = await everythingElse.Http.SendAsync(Request(row, world.Main));
            await ExpectRefusedAsync(response, HttpStatusCode.Forbidden, "forbidden", "a client without " + scope);
        }
        if (row.Access == Access.StaffOnly)
        {
            return; // no client can do it; the client-administration and shift tests prove why
        }
        var onlyThis = await fiscus.ClientAsync(row.Scopes);
        using var allowed = await onlyThis.Http.SendAsync(Request(row, world.Main));
        await ExpectReachedAsync(allowed, "a client with only " + row.Scope);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_bound_client_reaches_its_own_and_is_refused_everything_else(Row row)
    {
        if (!Sendable(row))
        {
            return;
        }
        var world = await WorldAsync();
        foreach (var (who, client, own, other) in new[]
                 {
                     ("a register-bound client", world.RegisterBound, world.Main, world.OtherOfMain),
                     ("a library-bound client", world.LibraryBound, world.X, world.Main),
                 })
        {
            switch (row.Access)
            {
                case Access.Anonymous or Access.Self or Access.Shared:
                    using (var response = await client.SendAsync(Request(row, own)))
                    {
                        await ExpectReachedAsync(response, who);
                    }
                    break;
                case Access.Confined:
                    using (var response = await client.SendAsync(Request(row, own)))
                    {
                        await ExpectReachedAsync(response, who + " in its binding");
                    }
                    using (var response = await client.SendAsync(Request(row, other, row.RefusedBody)))
                    {
                        await ExpectRefusedAsync(response, HttpStatusCode.Forbidden, "outside_binding", who + " outside its binding");
                    }
                    break;
                case Access.InstallationWide:
                    using (var response = await client.SendAsync(Request(row, own)))
                    {
                        await ExpectRefusedAsync(response, HttpStatusCode.Forbidden, "outside_binding", who);
                    }
                    break;
                case Access.StaffOnly:
                    using (var response = await client.SendAsync(Request(row, own)))
                    {
                        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{who}: {await DescribeAsync(response)}");
                    }
                    break;
            }
        }
    }
}
