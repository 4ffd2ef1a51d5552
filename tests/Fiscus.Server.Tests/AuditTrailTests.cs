using System.Globalization;
using System.Net.Http.Headers;

namespace Fiscus.Server.Tests;

/// <summary>
/// <c>GET /api/v1/audit</c>: the audit log for people to read — "every void and refund my staff made" — filtered by time,
/// actor, action, category and entity, newest first, paged and as CSV; for managers, never for a bound client.
/// </summary>
public sealed class AuditTrailTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static long Id(JsonNode line) => line["account_line_id"]!.GetValue<long>();

    static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Moves the clock to the start of the next whole second, which the database stores exactly (it keeps microseconds).</summary>
    DateTimeOffset NextWholeSecond()
    {
        var now = fiscus.Clock.GetUtcNow();
        fiscus.Clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - (now.UtcTicks % TimeSpan.TicksPerSecond)));
        return fiscus.Clock.GetUtcNow();
    }

    async Task<JsonArray> AuditAsync(HttpClient http, string query)
    {
        using var response = await http.GetAsync("/api/v1/audit?" + query);
        return (await response.ExpectAsync(HttpStatusCode.OK)).AsArray();
    }

    static string[] Actions(JsonArray entries) => entries.Select(e => e!["action"]!.GetValue<string>()).ToArray();

    async Task<JsonNode> PayAsync(HttpClient http, long patron, decimal amount, string paymentType = "CARD")
    {
        using var response = await http.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount, payment_type = paymentType }));
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    async Task<JsonNode> ActAsync(HttpClient http, long patron, string side, long line, string action, object body)
    {
        using var response = await http.PostAsync($"/api/v1/patrons/{patron}/account/{side}/{line}/{action}", Json.Body(body));
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_manager_sees_every_void_and_refund_their_staff_made_with_who_how_much_and_why()
    {
        var cashier = await fiscus.UserAsync("cashier");
        var manager = await fiscus.UserAsync("manager");
        var since = NextWholeSecond();
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 20m);
        var voided = await PayAsync(cashier.Http, patron, 4m);
        var refunded = await PayAsync(cashier.Http, patron, 6m);
        var writtenOff = Id(await fiscus.DebitAsync(patron, 3m));
        fiscus.Clock.Advance(TimeSpan.FromSeconds(1));
        await ActAsync(manager.Http, patron, "credits", Id(voided), "void", new { note = "keyed twice" });
        fiscus.Clock.Advance(TimeSpan.FromSeconds(1));
        await ActAsync(manager.Http, patron, "credits", Id(refunded), "refund", new { amount = 2.50m, payout_type = "CARD", note = "overcharged" });
        fiscus.Clock.Advance(TimeSpan.FromSeconds(1));
        await ActAsync(manager.Http, patron, "debits", writtenOff, "writeoff", new { note = "goodwill" });
        var register = await fiscus.RegisterAsync(startingFloat: 10m);
        var sale = await fiscus.SellAsync(register, 3m);
        fiscus.Clock.Advance(TimeSpan.FromSeconds(1));
        using (var refund = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds",
                   Json.Body(new { account_line_id = Id(sale["debits"]![0]!), amount = 1.25m, note = "misprint" })))
        {
            await refund.ExpectAsync(HttpStatusCode.Created);
        }

        var entries = await AuditAsync(manager.Http, $"since={Iso(since)}&category=voids,refunds");

        Assert.Equal(["pos.refund", "account.refund", "account.void"], Actions(entries));
        var (posRefund, accountRefund, accountVoid) = (entries[0]!, entries[1]!, entries[2]!);
        Assert.All(entries, e =>
        {
            Assert.Equal(manager.UserId, e!["user_id"]!.GetValue<long>());
            Assert.Equal(manager.Username, e["username"]!.GetValue<string>());
            Assert.Equal(manager.Username, e["actor_name"]!.GetValue<string>());
            Assert.Equal($"user:{manager.UserId} ({manager.Username})", e["actor"]!.GetValue<string>());
        });
        Assert.Equal("voids", accountVoid["category"]!.GetValue<string>());
        Assert.Equal(4m, accountVoid["amount"]!.GetValue<decimal>());
        Assert.Equal("keyed twice", accountVoid["note"]!.GetValue<string>());
        Assert.Equal(patron, accountVoid["patron_id"]!.GetValue<long>());
        Assert.Equal(Id(voided).ToString(CultureInfo.InvariantCulture), accountVoid["entity_id"]!.GetValue<string>());
        Assert.Contains(accountVoid["lines"]!.AsArray(), l => l!["debit_type"]?.GetValue<string>() == "VOID" && l["amount"]!.GetValue<decimal>() == 4m);
        Assert.Equal("refunds", accountRefund["category"]!.GetValue<string>());
        Assert.Equal(2.50m, accountRefund["amount"]!.GetValue<decimal>());
        Assert.Equal("overcharged", accountRefund["note"]!.GetValue<string>());
        Assert.Equal(1.25m, posRefund["amount"]!.GetValue<decimal>());
        Assert.Equal("misprint", posRefund["note"]!.GetValue<string>());
        Assert.Equal(register, posRefund["cash_register_id"]!.GetValue<int>());
        Assert.Null(posRefund["patron_id"]);

        // The same asked as one word of the actions, and the write-off beside them.
        Assert.Equal(["pos.refund", "account.refund"], Actions(await AuditAsync(manager.Http, $"since={Iso(since)}&action=refund")));
        Assert.Equal(["account.refund"], Actions(await AuditAsync(manager.Http, $"since={Iso(since)}&action=account.refund")));
        var writeoff = Assert.Single(await AuditAsync(manager.Http, $"since={Iso(since)}&action=writeoff"))!;
        Assert.Equal(3m, writeoff["amount"]!.GetValue<decimal>());
        Assert.Equal("goodwill", writeoff["note"]!.GetValue<string>());
        // The cashier's payments are theirs, not the manager's.
        Assert.Equal(["account.credit", "account.credit"],
            Actions(await AuditAsync(manager.Http, $"since={Iso(since)}&actor={cashier.Username}&category=payments")));
        Assert.Empty(await AuditAsync(manager.Http, $"since={Iso(since)}&actor={cashier.Username}&category=voids,refunds"));
    }

    [Fact]
    public async Task A_refunds_amount_is_what_was_paid_out_not_only_what_the_payment_had_paid()
    {
        var manager = await fiscus.UserAsync("manager");
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 4m);
        var payment = await PayAsync(manager.Http, patron, 6m);

        // 2.00 of it was still credit and 3.00 of what it paid is refunded: 5.00 leaves, the REFUND line says 3.00.
        var refund = await ActAsync(manager.Http, patron, "credits", Id(payment), "refund", new { amount = 5m, payout_type = "CARD", note = "moved away" });

        Assert.Contains(refund["created"]!.AsArray(), l => l!["type"]?.GetValue<string>() == "REFUND" && l["amount"]!.GetValue<decimal>() == -3m);
        var entry = Assert.Single(await AuditAsync(manager.Http, $"actor={manager.Username}&action=account.refund"))!;
        Assert.Equal(5m, entry["amount"]!.GetValue<decimal>());
        Assert.Equal(["PAYOUT", "REFUND"], entry["lines"]!.AsArray().Where(l => Id(l!) != Id(payment))
            .Select(l => l!["debit_type"]?.GetValue<string>() ?? l!["credit_type"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Failed_sign_ins_are_found_under_the_username_they_tried()
    {
        var manager = await fiscus.StaffAsync("manager");
        var victim = await fiscus.UserAsync("cashier");
        var since = NextWholeSecond();
        using (var wrong = await fiscus.Anonymous().PostAsync("/api/v1/auth/login", Json.Body(new { username = victim.Username, password = "not-the-password" })))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var basic = await fiscus.WithBasic(victim.Username, "still-not-it").GetAsync("/api/v1/auth/me"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, basic.StatusCode);
        }
        await fiscus.LoginAsync(victim.Username, victim.Password);

        var failed = await AuditAsync(manager.Http, $"since={Iso(since)}&category=failed_sign_ins&actor={victim.Username.ToUpperInvariant()}");

        Assert.Equal(["auth.basic_failed", "auth.login_failed"], Actions(failed));
        Assert.All(failed, e =>
        {
            Assert.Equal("failed_sign_ins", e!["category"]!.GetValue<string>());
            Assert.Equal("anonymous", e["actor_name"]!.GetValue<string>());
            Assert.Equal(victim.Username, e["details"]!["username"]!.GetValue<string>());
        });
        // Their successful sign-in is theirs, under their own name.
        var signIn = Assert.Single(await AuditAsync(manager.Http, $"since={Iso(since)}&category=sign_ins&actor={victim.Username}"))!;
        Assert.Equal("auth.login", signIn["action"]!.GetValue<string>());
        Assert.Equal(victim.UserId, signIn["user_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_window_includes_its_start_and_excludes_its_end()
    {
        var manager = await fiscus.StaffAsync("manager");
        var times = new List<DateTimeOffset>();
        var codes = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            times.Add(NextWholeSecond());
            var code = fiscus.Unique("WIN");
            codes.Add(code);
            using var created = await manager.Http.PostAsync("/api/v1/debit_types", Json.Body(new { code, description = "Window" }));
            await created.ExpectAsync(HttpStatusCode.Created);
            fiscus.Clock.Advance(TimeSpan.FromSeconds(5));
        }
        string[] Codes(JsonArray entries) => entries.Select(e => e!["entity_id"]!.GetValue<string>()).Where(codes.Contains).ToArray();

        Assert.Equal([codes[1]], Codes(await AuditAsync(manager.Http, $"from={Iso(times[1])}&to={Iso(times[2])}&action=debit_type.create")));
        Assert.Equal([codes[2], codes[1]], Codes(await AuditAsync(manager.Http, $"since={Iso(times[1])}&action=debit_type.create")));
        Assert.Equal([codes[1], codes[0]], Codes(await AuditAsync(manager.Http, $"until={Iso(times[2])}&action=debit_type.create")));
        // An offset is a time like any other: 01:00 past the hour in +01:00 is that hour in UTC.
        var local = times[1].ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        Assert.Equal([codes[1]], Codes(await AuditAsync(manager.Http,
            $"from={Uri.EscapeDataString(local)}&to={Iso(times[2])}&action=debit_type.create")));
        Assert.Empty(Codes(await AuditAsync(manager.Http, $"from={Iso(times[1].AddSeconds(1))}&to={Iso(times[2])}&action=debit_type.create")));
    }

    [Fact]
    public async Task Entries_come_newest_first_in_pages_that_neither_skip_nor_repeat()
    {
        var manager = await fiscus.UserAsync("manager");
        var since = NextWholeSecond();
        var codes = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var code = fiscus.Unique("PAGE");
            codes.Add(code);
            using var created = await manager.Http.PostAsync("/api/v1/debit_types", Json.Body(new { code, description = "Paged" }));
            await created.ExpectAsync(HttpStatusCode.Created);
            // Two in the same instant: the id orders them.
            if (i != 2)
            {
                fiscus.Clock.Advance(TimeSpan.FromSeconds(1));
            }
        }
        var query = $"since={Iso(since)}&actor=user:{manager.UserId}&entity=debit_type";
        var seen = new List<string>();
        for (var page = 1; page <= 3; page++)
        {
            using var response = await manager.Http.GetAsync($"/api/v1/audit?{query}&_page={page}&_per_page=2");
            var entries = (await response.ExpectAsync(HttpStatusCode.OK)).AsArray();
            Assert.Equal("5", response.Headers.GetValues("X-Total-Count").Single());
            Assert.Equal(page < 3, response.Headers.GetValues("Link").Single().Contains("rel=\"next\"", StringComparison.Ordinal));
            Assert.Equal(page < 3 ? 2 : 1, entries.Count);
            seen.AddRange(entries.Select(e => e!["entity_id"]!.GetValue<string>()));
        }
        codes.Reverse();
        Assert.Equal(codes, seen);
    }

    [Fact]
    public async Task The_actor_is_named_by_username_id_principal_or_client_id()
    {
        var admin = await fiscus.AdminAsync();
        var manager = await fiscus.UserAsync("manager");
        var client = await fiscus.ClientAsync(["reference:write"]);
        var since = NextWholeSecond();
        var byManager = fiscus.Unique("BYM");
        var byClient = fiscus.Unique("BYC");
        using (var created = await manager.Http.PostAsync("/api/v1/debit_types", Json.Body(new { code = byManager, description = "Manager's" })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        using (var created = await client.Http.PostAsync("/api/v1/debit_types", Json.Body(new { code = byClient, description = "Client's" })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var clientRow = await fiscus.ScalarAsync<long>("SELECT api_client_id FROM api_clients WHERE client_id = @ClientId", new { client.ClientId });

        foreach (var actor in new[] { manager.Username, manager.Username.ToUpperInvariant(), $"{manager.UserId}", $"user:{manager.UserId}" })
        {
            var entry = Assert.Single(await AuditAsync(admin, $"since={Iso(since)}&entity=debit_type&actor={Uri.EscapeDataString(actor)}"))!;
            Assert.Equal(byManager, entry["entity_id"]!.GetValue<string>());
        }
        foreach (var actor in new[] { client.ClientId, $"client:{clientRow}" })
        {
            var entry = Assert.Single(await AuditAsync(admin, $"since={Iso(since)}&entity=debit_type&actor={Uri.EscapeDataString(actor)}"))!;
            Assert.Equal(byClient, entry["entity_id"]!.GetValue<string>());
            Assert.Equal(client.ClientId, entry["client_id"]!.GetValue<string>());
            Assert.Null(entry["user_id"]);
            Assert.StartsWith("client", entry["actor_name"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Empty(await AuditAsync(admin, $"since={Iso(since)}&actor=nobody-by-this-name"));
        var byEntity = Assert.Single(await AuditAsync(admin, $"entity=debit_type&entity_id={byClient}"))!;
        Assert.Equal("debit_type.create", byEntity["action"]!.GetValue<string>());
        Assert.Equal("setup", byEntity["category"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_username_that_is_another_users_id_is_refused_as_ambiguous()
    {
        var admin = await fiscus.AdminAsync();
        var other = await fiscus.UserAsync("cashier");
        var username = other.UserId.ToString(CultureInfo.InvariantCulture);
        using (var created = await admin.PostAsync("/api/v1/users", Json.Body(new { username, role = "cashier" })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }

        using var response = await admin.GetAsync($"/api/v1/audit?actor={username}");

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "ambiguous_actor");
        Assert.Contains($"user:{other.UserId}", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_entries_download_as_csv()
    {
        var manager = await fiscus.UserAsync("manager");
        var since = NextWholeSecond();
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 5m);
        var payment = await PayAsync(manager.Http, patron, 5m);
        fiscus.Clock.Advance(TimeSpan.FromSeconds(1));
        await ActAsync(manager.Http, patron, "credits", Id(payment), "void", new { note = "=HYPERLINK(\"x\"), twice" });
        var query = $"since={Iso(since)}&actor={manager.Username}";

        using var link = await manager.Http.GetAsync($"/api/v1/audit?{query}&format=csv");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/audit?{query}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var accepted = await manager.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        Assert.Equal("text/csv", link.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("attachment; filename=\"audit-from-", link.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);
        var text = await link.Content.ReadAsStringAsync();
        Assert.Equal(text, await accepted.Content.ReadAsStringAsync());
        var rows = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("audit_id,occurred_at,action,category,actor,actor_name,user_id,username,client_id,remote_address,entity,entity_id,"
            + "patron_id,cash_register_id,amount,note,details", rows[0]);
        Assert.Equal(3, rows.Length);
        Assert.Contains($",account.void,voids,user:{manager.UserId} ({manager.Username}),{manager.Username},{manager.UserId},", rows[1], StringComparison.Ordinal);
        // Money with the currency's decimals; a note that a spreadsheet would run as a formula is defused and quoted.
        Assert.Contains($",{patron},,5.00,\"'=HYPERLINK(\"\"x\"\"), twice\",", rows[1], StringComparison.Ordinal);
        Assert.Contains(",account.credit,payments,", rows[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cashier_and_a_bound_client_are_refused_and_an_unbound_client_with_the_scope_may_read()
    {
        using (var cashier = await (await fiscus.StaffAsync("cashier")).Http.GetAsync("/api/v1/audit"))
        {
            var problem = await cashier.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("audit:read", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        var admin = await fiscus.AdminAsync();
        using (var granted = await admin.PostAsync("/api/v1/clients", Json.Body(new { name = fiscus.Unique("Kiosk"), scopes = new[] { "audit:read" }, cash_register_id = 1 })))
        {
            var problem = await granted.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            Assert.Contains("audit log", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        foreach (var (register, library) in new[] { ((int?)1, (string?)null), (null, "MAIN") })
        {
            // Bound behind the API's back, as a client bound before audit:read existed might be.
            var bound = await fiscus.ClientAsync(["audit:read"]);
            await fiscus.ScalarAsync<int>("UPDATE api_clients SET cash_register_id = @register, library_id = @library WHERE client_id = @ClientId RETURNING 1",
                new { register, library, bound.ClientId });
            var http = fiscus.WithBearer(await fiscus.ClientTokenAsync(bound.ClientId, bound.Secret));
            using var refused = await http.GetAsync("/api/v1/audit?category=refunds");
            var problem = await refused.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
            Assert.Contains("may not read the audit log", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        var unbound = await fiscus.ClientAsync(["audit:read"]);
        using var allowed = await unbound.Http.GetAsync("/api/v1/audit?_per_page=1");
        Assert.Single((await allowed.ExpectAsync(HttpStatusCode.OK)).AsArray());
    }

    public static TheoryData<string, string, string> BadQueries => new()
    {
        { "from=yesterday", "from", "validation_failed" },
        { "from=2026-03-01T09:00:00", "from", "validation_failed" },
        { "since=2026-13-01", "since", "validation_failed" },
        { "from=2026-03-01T09:00:00+01:00", "from", "validation_failed" },
        { "until=0001-01-01", "until", "validation_failed" },
        { "from=2026-03-02&to=2026-03-01", "to", "validation_failed" },
        { "from=2026-03-01&to=2026-03-01", "to", "validation_failed" },
        { "from=2026-03-01&since=2026-03-01", "from", "validation_failed" },
        { "from=2026-03-01&from=2026-03-02", "from", "validation_failed" },
        { "action=Refund", "action", "validation_failed" },
        { "action=account.refund.again", "action", "validation_failed" },
        { "action=refund%00", "action", "validation_failed" },
        { "action=refund'%20OR%201=1", "action", "validation_failed" },
        { "category=refund", "category", "validation_failed" },
        { "entity=Account%20Line", "entity", "validation_failed" },
        { "actor=ann%00", "actor", "validation_failed" },
        { "actor=user:99999999999999999999", "actor", "validation_failed" },
        { "entity_id=42&entity=cashup", "", "" },
        { "acton=refund", "acton", "unknown_parameter" },
        { "_page=0", "", "bad_request" },
        { "_per_page=5000", "", "bad_request" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Bad_filters_are_a_400_that_names_the_parameter(string query, string field, string code)
    {
        var manager = await fiscus.StaffAsync("manager");

        using var response = await manager.Http.GetAsync("/api/v1/audit?" + query);

        if (code.Length == 0)
        {
            await response.ExpectAsync(HttpStatusCode.OK);
            return;
        }
        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, code);
        if (field.Length > 0)
        {
            Assert.True(problem["errors"]?[field] is not null, $"{query}: the problem should name {field}: {problem.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Every_category_is_accepted_and_a_plus_read_as_a_space_gets_a_hint()
    {
        var manager = await fiscus.StaffAsync("manager");
        foreach (var category in Audit.AuditCategories.All)
        {
            using var response = await manager.Http.GetAsync($"/api/v1/audit?category={category.Name}&_per_page=1");
            await response.ExpectAsync(HttpStatusCode.OK);
        }
        using var plus = await manager.Http.GetAsync("/api/v1/audit?from=2026-03-01T09:00:00+01:00");
        var problem = await plus.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains("%2B", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
