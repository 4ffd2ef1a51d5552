using Fiscus.Server.Sip2;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Server.Tests;

/// <summary>
/// SIP logins through <c>/api/v1/sip_logins</c> with real tokens, their service clients, and the look-ups the SIP2 server
/// signs kiosks in with.
/// </summary>
public sealed class SipLoginsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    const string Password = "kiosk-drawer-river-48";

    SipLogins Logins => fiscus.Factory.Services.GetRequiredService<SipLogins>();

    async Task<JsonNode> CreateAsync(object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/sip_logins", Json.Body(body));
        return await response.ExpectAsync(expected);
    }

    /// <summary>A login of the test's own at MAIN, on a register of its own, with <see cref="Password"/>.</summary>
    async Task<(string Login, int Register)> LoginAsync()
    {
        var login = fiscus.Unique("kiosk-");
        var register = await fiscus.RegisterAsync();
        await CreateAsync(new { login, password = Password, library_id = "MAIN", cash_register_id = register });
        return (login, register);
    }

    async Task<string> LibraryAsync()
    {
        var library = fiscus.Unique("SIPLIB");
        using var created = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = library, name = library }));
        await created.ExpectAsync(HttpStatusCode.Created);
        return library;
    }

    sealed record ServiceClient
    {
        public string ClientId { get; init; } = "";
        public string Name { get; init; } = "";
        public string[] Scopes { get; init; } = [];
        public int? CashRegisterId { get; init; }
        public string? LibraryId { get; init; }
        public DateTime? DisabledAt { get; init; }
    }

    async Task<ServiceClient> ServiceClientAsync(string login) => (await fiscus.QueryAsync<ServiceClient>("""
        SELECT c.client_id, c.name, c.scopes, c.cash_register_id, c.library_id, c.disabled_at
        FROM sip_logins s JOIN api_clients c USING (api_client_id) WHERE s.login = @login
        """, new { login })).Single();

    [Fact]
    public async Task A_login_made_without_a_password_shows_the_generated_one_once_and_gets_a_service_client()
    {
        var login = fiscus.Unique("Kiosk.Main-");
        var register = await fiscus.RegisterAsync();

        var created = await CreateAsync(new { login, library_id = "MAIN", cash_register_id = register });

        Assert.Equal(["login", "library_id", "cash_register_id", "patron_password", "overpayment", "payment_types", "fine_item_format",
            "client_id", "disabled", "created_at", "updated_at", "password_changed_at", "password"], created.AsObject().Select(p => p.Key));
        var password = created["password"]!.GetValue<string>();
        Assert.Matches("^[A-Za-z0-9]{16}$", password);
        Assert.Equal("if-set", created["patron_password"]!.GetValue<string>());
        Assert.Equal("refuse", created["overpayment"]!.GetValue<string>());
        Assert.Equal("""{"00":"SIP00","01":"CARD","02":"CARD"}""", created["payment_types"]!.ToJsonString());
        Assert.Equal(SipLogin.DefaultFineItemFormat, created["fine_item_format"]!.GetValue<string>());
        Assert.False(created["disabled"]!.GetValue<bool>());
        // The defaults are stored as rows, not implied.
        Assert.Equal(3, await fiscus.ScalarAsync<long>(
            "SELECT count(*) FROM sip_login_payment_types JOIN sip_logins USING (sip_login_id) WHERE login = @login", new { login }));

        var client = await ServiceClientAsync(login);
        Assert.Equal(created["client_id"]!.GetValue<string>(), client.ClientId);
        Assert.Equal($"SIP login {login}", client.Name);
        Assert.Equal(["accounts:read", "payments:write"], client.Scopes);
        Assert.Equal((register, "MAIN"), (client.CashRegisterId, client.LibraryId));

        var admin = await fiscus.AdminAsync();
        using var fetched = await admin.GetAsync($"/api/v1/sip_logins/{login}");
        var again = await fetched.ExpectAsync(HttpStatusCode.OK);
        Assert.Null(again["password"]);
        Assert.Equal(login, again["login"]!.GetValue<string>());
        using var list = await admin.GetAsync("/api/v1/sip_logins?_per_page=1000");
        var listed = await list.ExpectAsync(HttpStatusCode.OK);
        Assert.Contains(login, listed.AsArray().Select(l => l!["login"]!.GetValue<string>()));
        Assert.DoesNotContain(password, listed.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hash", listed.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(listed.AsArray().Count.ToString(System.Globalization.CultureInfo.InvariantCulture), list.Headers.GetValues("X-Total-Count").Single());

        Assert.NotNull(await Logins.VerifyAsync(login, password, CancellationToken.None));
    }

    [Fact]
    public async Task A_login_keeps_the_password_and_settings_it_was_given()
    {
        var login = fiscus.Unique("kiosk-");
        var register = await fiscus.RegisterAsync();

        var created = await CreateAsync(new
        {
            login, password = Password, library_id = "MAIN", cash_register_id = register, patron_password = "required", overpayment = "credit",
            payment_types = new Dictionary<string, string> { ["00"] = "CASH", ["05"] = "CARD" },
            fine_item_format = "{id}: {description} {currency}{amount} ({date})",
        });

        Assert.Null(created["password"]);
        Assert.Equal(("required", "credit"), (created["patron_password"]!.GetValue<string>(), created["overpayment"]!.GetValue<string>()));
        Assert.Equal("""{"00":"CASH","05":"CARD"}""", created["payment_types"]!.ToJsonString());
        var signedIn = await Logins.VerifyAsync(login, Password, CancellationToken.None);
        Assert.NotNull(signedIn);
        Assert.Equal(new Dictionary<string, string> { ["00"] = "CASH", ["05"] = "CARD" }, signedIn.PaymentTypes);
        Assert.Equal(("MAIN", register), (signedIn.LibraryId, signedIn.CashRegisterId));
        Assert.Equal(new Fiscus.Ledger.Access.Binding("MAIN", register), signedIn.Binding);
        Assert.Equal("{id}: {description} {currency}{amount} ({date})", signedIn.FineItemFormat);
        Assert.StartsWith("AQAAAA", signedIn.PasswordHash, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"login": "kiosk one", "library_id": "MAIN", "cash_register_id": 1}""", "login", "validation_failed")]
    [InlineData("""{"login": "kiosk\n", "library_id": "MAIN", "cash_register_id": 1}""", "login", "validation_failed")]
    [InlineData("""{"login": "k-0123456789012345678901234567890123456789012345678901234567890123", "library_id": "MAIN", "cash_register_id": 1}""",
        "login", "validation_failed")]
    [InlineData("""{"library_id": "MAIN", "cash_register_id": 1}""", "login", "missing_field")]
    [InlineData("""{"login": "{login}", "cash_register_id": 1}""", "library_id", "missing_field")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN"}""", "cash_register_id", "missing_field")]
    [InlineData("""{"login": "{login}", "password": "short-7", "library_id": "MAIN", "cash_register_id": 1}""", "password", "validation_failed")]
    [InlineData("""{"login": "{login}", "password": "password123", "library_id": "MAIN", "cash_register_id": 1}""", "password", "validation_failed")]
    [InlineData("""{"login": "{login}", "password": "river|stone|ledger", "library_id": "MAIN", "cash_register_id": 1}""", "password", "validation_failed")]
    [InlineData("""{"login": "{login}", "password": "river\rstone-ledger", "library_id": "MAIN", "cash_register_id": 1}""", "password", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "patron_password": "sometimes"}""", "patron_password", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "overpayment": "keep"}""", "overpayment", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "payment_types": {}}""", "payment_types", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "payment_types": {"1": "CASH"}}""", "payment_types", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "payment_types": {"00": "NOPE"}}""", "payment_types", "unknown_payment_type")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "fine_item_format": "{amount} {type}"}""", "fine_item_format", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "fine_item_format": "{id}|{amount}"}""", "fine_item_format", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "fine_item_format": "{id}\u0007"}""", "fine_item_format", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "fine_item_format": "{id"}""", "fine_item_format", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 1, "fine_item_format": "{id} {fee}"}""", "fine_item_format", "validation_failed")]
    [InlineData("""{"login": "{login}", "library_id": "MAIN", "cash_register_id": 424242}""", "cash_register_id", "unknown_register")]
    [InlineData("""{"login": "{login}", "library_id": "NOPE", "cash_register_id": 1}""", "library_id", "validation_failed")]
    public async Task Invalid_logins_are_400_naming_the_field(string body, string field, string code)
    {
        var login = fiscus.Unique("bad-");
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/sip_logins", Json.Raw(body.Replace("{login}", login, StringComparison.Ordinal)));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, code);
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(0, await fiscus.ScalarAsync<long>("SELECT count(*) FROM sip_logins WHERE login = @login", new { login }));
        Assert.Equal(0, await fiscus.ScalarAsync<long>("SELECT count(*) FROM api_clients WHERE name = @name", new { name = $"SIP login {login}" }));
    }

    [Fact]
    public async Task Every_problem_with_a_login_is_named_at_once_and_placeholders_are_listed()
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/sip_logins", Json.Body(new
        {
            login = "no spaces", password = "short", library_id = "MAIN", cash_register_id = 1, fine_item_format = "{id} {fee} {patron}",
        }));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["login", "password", "fine_item_format"], problem["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal("fine_item_format has {fee}, {patron}, which are not placeholders; placeholders: {id} {amount} {type} {description} {date} {currency}",
            problem["errors"]!["fine_item_format"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_register_of_another_library_or_an_archived_one_is_refused()
    {
        var admin = await fiscus.AdminAsync();
        var elsewhere = await LibraryAsync();
        var theirs = await fiscus.RegisterAsync(libraryId: elsewhere);
        var archived = await fiscus.RegisterAsync();
        using (var archive = await admin.PostAsync($"/api/v1/cash_registers/{archived}/archive", null))
        {
            await archive.ExpectAsync(HttpStatusCode.OK);
        }

        var otherLibrary = await CreateAsync(new { login = fiscus.Unique("k-"), library_id = "MAIN", cash_register_id = theirs }, HttpStatusCode.BadRequest);
        var retired = await CreateAsync(new { login = fiscus.Unique("k-"), library_id = "MAIN", cash_register_id = archived }, HttpStatusCode.BadRequest);

        Assert.Equal($"Register {theirs} belongs to library {elsewhere}, not MAIN.", otherLibrary["errors"]!["library_id"]![0]!.GetValue<string>());
        Assert.Equal("register_archived", retired["code"]!.GetValue<string>());
        Assert.NotNull(retired["errors"]!["cash_register_id"]);
        // In its own library the register is fine.
        await CreateAsync(new { login = fiscus.Unique("k-"), library_id = elsewhere, cash_register_id = theirs });
    }

    [Fact]
    public async Task A_payment_type_that_is_unknown_or_archived_is_refused_with_the_types_in_use()
    {
        var admin = await fiscus.AdminAsync();
        var retired = fiscus.Unique("OLDCARD");
        using (var added = await admin.PostAsync("/api/v1/payment_types", Json.Body(new { code = retired, description = fiscus.Unique("Old card ") })))
        {
            await added.ExpectAsync(HttpStatusCode.Created);
        }
        using (var archive = await admin.PostAsync($"/api/v1/payment_types/{retired}/archive", null))
        {
            await archive.ExpectAsync(HttpStatusCode.OK);
        }

        var refused = await CreateAsync(new
        {
            login = fiscus.Unique("k-"), library_id = "MAIN", cash_register_id = 1,
            payment_types = new Dictionary<string, string> { ["00"] = "SIP00", ["01"] = "VISA", ["02"] = retired },
        }, HttpStatusCode.BadRequest);

        Assert.Equal("unknown_payment_type", refused["code"]!.GetValue<string>());
        var message = refused["errors"]!["payment_types"]![0]!.GetValue<string>();
        Assert.Contains("01 maps to 'VISA', which is not a payment type in use", message, StringComparison.Ordinal);
        Assert.Contains($"02 maps to '{retired}', which is not a payment type in use", message, StringComparison.Ordinal);
        Assert.Contains("Payment types in use: CARD, CASH,", message, StringComparison.Ordinal);
        Assert.DoesNotContain($"in use: {retired}", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logins_are_unique_regardless_of_case()
    {
        var (login, register) = await LoginAsync();

        var twin = await CreateAsync(new { login = login.ToUpperInvariant(), library_id = "MAIN", cash_register_id = register }, HttpStatusCode.Conflict);

        Assert.Equal("sip_login_taken", twin["code"]!.GetValue<string>());
        Assert.Contains($"'{login}'", twin["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Of_logins_racing_for_one_name_in_different_cases_exactly_one_is_made()
    {
        var login = fiscus.Unique("race-");
        var admin = await fiscus.AdminAsync();
        var names = new[] { login, login.ToUpperInvariant(), "R" + login[1..], "rA" + login[2..], login.ToUpperInvariant()[..3] + login[3..] };

        var answers = await Task.WhenAll(names.Select(async name =>
        {
            using var response = await admin.PostAsync("/api/v1/sip_logins", Json.Body(new { login = name, library_id = "MAIN", cash_register_id = 1 }));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a =>
        {
            Assert.Equal(HttpStatusCode.Conflict, a.StatusCode);
            Assert.Contains("sip_login_taken", a.Body, StringComparison.Ordinal);
        });
        Assert.Equal(1, await fiscus.ScalarAsync<long>("SELECT count(*) FROM api_clients WHERE lower(name) = lower(@name)", new { name = $"SIP login {login}" }));
    }

    [Fact]
    public async Task An_API_client_already_bearing_the_service_clients_name_is_a_conflict_not_a_500()
    {
        var login = fiscus.Unique("named-");
        using (var squatter = await (await fiscus.AdminAsync()).PostAsync("/api/v1/clients",
            Json.Body(new { name = $"SIP login {login}", scopes = new[] { "registers:read" } })))
        {
            await squatter.ExpectAsync(HttpStatusCode.Created);
        }

        var refused = await CreateAsync(new { login, library_id = "MAIN", cash_register_id = 1 }, HttpStatusCode.Conflict);

        Assert.Equal("client_name_taken", refused["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("manager")]
    [InlineData("cashier")]
    public async Task Only_admins_manage_sip_logins(string role)
    {
        var (login, _) = await LoginAsync();
        var user = (await fiscus.StaffAsync(role)).Http;

        using var list = await user.GetAsync("/api/v1/sip_logins");
        using var create = await user.PostAsync("/api/v1/sip_logins", Json.Body(new { login = fiscus.Unique("k-"), library_id = "MAIN", cash_register_id = 1 }));
        using var disable = await user.PostAsync($"/api/v1/sip_logins/{login}/disable", null);
        using var password = await user.PostAsync($"/api/v1/sip_logins/{login}/password", null);

        foreach (var response in new[] { list, create, disable, password })
        {
            var problem = await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("clients:write", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.NotNull(await Logins.VerifyAsync(login, Password, CancellationToken.None));
    }

    [Fact]
    public async Task An_update_changes_what_it_names_keeps_the_rest_and_moves_the_service_client()
    {
        var (login, _) = await LoginAsync();
        var elsewhere = await LibraryAsync();
        var register = await fiscus.RegisterAsync(libraryId: elsewhere);
        var admin = await fiscus.AdminAsync();

        using var moved = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new
        {
            login, library_id = elsewhere, cash_register_id = register, overpayment = "credit",
            payment_types = new Dictionary<string, string> { ["00"] = "CASH" },
        }));
        var after = await moved.ExpectAsync(HttpStatusCode.OK);

        Assert.Equal((elsewhere, register, "credit", "if-set"), (after["library_id"]!.GetValue<string>(), after["cash_register_id"]!.GetValue<int>(),
            after["overpayment"]!.GetValue<string>(), after["patron_password"]!.GetValue<string>()));
        Assert.Equal("""{"00":"CASH"}""", after["payment_types"]!.ToJsonString());
        var client = await ServiceClientAsync(login);
        Assert.Equal((register, elsewhere), (client.CashRegisterId, client.LibraryId));

        using var formatOnly = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { fine_item_format = "{id} {amount}" }));
        var kept = await formatOnly.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(("{id} {amount}", register, """{"00":"CASH"}"""),
            (kept["fine_item_format"]!.GetValue<string>(), kept["cash_register_id"]!.GetValue<int>(), kept["payment_types"]!.ToJsonString()));
        var signedIn = await Logins.VerifyAsync(login, Password, CancellationToken.None);
        Assert.Equal(new Fiscus.Ledger.Access.Binding(elsewhere, register), signedIn!.Binding);
    }

    [Fact]
    public async Task An_update_is_checked_as_a_creation_is()
    {
        var (login, register) = await LoginAsync();
        var elsewhere = await LibraryAsync();
        var admin = await fiscus.AdminAsync();

        using var splitBinding = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { library_id = elsewhere }));
        using var renamed = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { login = login + "x" }));
        using var withPassword = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { password = Password }));
        using var unknownType = await admin.PutAsync($"/api/v1/sip_logins/{login}",
            Json.Body(new { payment_types = new Dictionary<string, string> { ["01"] = "VISA" } }));
        using var badFormat = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { fine_item_format = "{amount}", overpayment = "x" }));

        Assert.NotNull((await splitBinding.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["library_id"]);
        Assert.NotNull((await renamed.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["login"]);
        await withPassword.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_field");
        await unknownType.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_payment_type");
        Assert.Equal(["overpayment", "fine_item_format"],
            (await badFormat.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject().Select(e => e.Key));
        var unchanged = await Logins.FindAsync(login, CancellationToken.None);
        Assert.Equal(("MAIN", register, SipLogin.DefaultFineItemFormat, 3), (unchanged!.LibraryId, unchanged.CashRegisterId, unchanged.FineItemFormat,
            unchanged.PaymentTypes.Count));
    }

    [Fact]
    public async Task A_login_whose_register_was_archived_can_still_change_its_other_settings_and_be_moved()
    {
        var (login, register) = await LoginAsync();
        var admin = await fiscus.AdminAsync();
        using (var archive = await admin.PostAsync($"/api/v1/cash_registers/{register}/archive", null))
        {
            await archive.ExpectAsync(HttpStatusCode.OK);
        }

        using var setting = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { patron_password = "required" }));
        using var toArchived = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { cash_register_id = register, library_id = "MAIN" }));
        var next = await fiscus.RegisterAsync();
        using var moved = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { cash_register_id = next }));

        Assert.Equal("required", (await setting.ExpectAsync(HttpStatusCode.OK))["patron_password"]!.GetValue<string>());
        await toArchived.ExpectAsync(HttpStatusCode.OK); // not a move: it is where it was
        Assert.Equal(next, (await moved.ExpectAsync(HttpStatusCode.OK))["cash_register_id"]!.GetValue<int>());
    }

    [Fact]
    public async Task Disabling_sets_the_service_clients_flag_and_stops_the_login_at_once()
    {
        var (login, _) = await LoginAsync();
        var admin = await fiscus.AdminAsync();
        var before = await Logins.VerifyAsync(login, Password, CancellationToken.None);
        Assert.NotNull(await Logins.ReloadAsync(before!.SipLoginId, CancellationToken.None));

        using var disable = await admin.PostAsync($"/api/v1/sip_logins/{login}/disable", null);

        Assert.True((await disable.ExpectAsync(HttpStatusCode.OK))["disabled"]!.GetValue<bool>());
        Assert.NotNull((await ServiceClientAsync(login)).DisabledAt);
        Assert.Null(await Logins.VerifyAsync(login, Password, CancellationToken.None));
        Assert.Null(await Logins.ReloadAsync(before.SipLoginId, CancellationToken.None));
        Assert.True((await Logins.FindAsync(login, CancellationToken.None))!.DisabledAt is not null);

        using var enable = await admin.PostAsync($"/api/v1/sip_logins/{login}/enable", null);

        Assert.False((await enable.ExpectAsync(HttpStatusCode.OK))["disabled"]!.GetValue<bool>());
        Assert.Null((await ServiceClientAsync(login)).DisabledAt);
        Assert.NotNull(await Logins.VerifyAsync(login, Password, CancellationToken.None));
        Assert.NotNull(await Logins.ReloadAsync(before.SipLoginId, CancellationToken.None));
    }

    [Fact]
    public async Task ReloadAsync_answers_the_login_as_it_stands_now()
    {
        var (login, _) = await LoginAsync();
        var signedIn = await Logins.VerifyAsync(login, Password, CancellationToken.None);
        var next = await fiscus.RegisterAsync();
        using (var moved = await (await fiscus.AdminAsync()).PutAsync($"/api/v1/sip_logins/{login}",
            Json.Body(new { cash_register_id = next, payment_types = new Dictionary<string, string> { ["00"] = "CASH" } })))
        {
            await moved.ExpectAsync(HttpStatusCode.OK);
        }

        var now = await Logins.ReloadAsync(signedIn!.SipLoginId, CancellationToken.None);

        Assert.Equal(next, now!.CashRegisterId);
        Assert.Equal(new Dictionary<string, string> { ["00"] = "CASH" }, now.PaymentTypes);
        Assert.Null(await Logins.ReloadAsync(long.MaxValue, CancellationToken.None));
    }

    [Fact]
    public async Task VerifyAsync_takes_the_exact_login_and_its_password_only()
    {
        var (login, _) = await LoginAsync();

        Assert.NotNull(await Logins.VerifyAsync(login, Password, CancellationToken.None));
        Assert.Null(await Logins.VerifyAsync(login, Password + "x", CancellationToken.None));
        Assert.Null(await Logins.VerifyAsync(login, "", CancellationToken.None));
        Assert.Null(await Logins.VerifyAsync(login.ToUpperInvariant(), Password, CancellationToken.None));
        Assert.Null(await Logins.VerifyAsync(fiscus.Unique("nobody-"), Password, CancellationToken.None));
        Assert.Null(await Logins.VerifyAsync("not a login|", Password, CancellationToken.None));
        Assert.Null(await Logins.VerifyAsync("", "", CancellationToken.None));
    }

    [Fact]
    public async Task A_new_password_replaces_the_old_one_and_a_generated_one_is_shown_once()
    {
        var (login, _) = await LoginAsync();
        var admin = await fiscus.AdminAsync();
        const string chosen = "ledger-kiosk-lantern-93";

        using var set = await admin.PostAsync($"/api/v1/sip_logins/{login}/password", Json.Body(new { password = chosen }));
        var answer = await set.ExpectAsync(HttpStatusCode.OK);
        Assert.Null(answer["password"]);
        Assert.Null(await Logins.VerifyAsync(login, Password, CancellationToken.None));
        Assert.NotNull(await Logins.VerifyAsync(login, chosen, CancellationToken.None));

        using var generated = await admin.PostAsync($"/api/v1/sip_logins/{login}/password", null);
        var fresh = (await generated.ExpectAsync(HttpStatusCode.OK))["password"]!.GetValue<string>();
        Assert.Matches("^[A-Za-z0-9]{16}$", fresh);
        Assert.Null(await Logins.VerifyAsync(login, chosen, CancellationToken.None));
        Assert.NotNull(await Logins.VerifyAsync(login, fresh, CancellationToken.None));

        using var weak = await admin.PostAsync($"/api/v1/sip_logins/{login}/password", Json.Body(new { password = login + "-1" }));
        Assert.NotNull((await weak.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["password"]);
        Assert.NotNull(await Logins.VerifyAsync(login, fresh, CancellationToken.None));
    }

    [Fact]
    public async Task Unknown_logins_are_404()
    {
        var admin = await fiscus.AdminAsync();
        var (login, _) = await LoginAsync();

        foreach (var response in new[]
                 {
                     await admin.GetAsync("/api/v1/sip_logins/nobody"),
                     // Logins are matched exactly, as a kiosk must send its own.
                     await admin.GetAsync($"/api/v1/sip_logins/{login.ToUpperInvariant()}"),
                     await admin.PutAsync("/api/v1/sip_logins/nobody", Json.Body(new { overpayment = "credit" })),
                     await admin.PostAsync("/api/v1/sip_logins/nobody/disable", null),
                     await admin.PostAsync("/api/v1/sip_logins/nobody/enable", null),
                     await admin.PostAsync("/api/v1/sip_logins/nobody/password", null),
                 })
        {
            using (response)
            {
                await response.ExpectProblemAsync(HttpStatusCode.NotFound, "sip_login_not_found");
            }
        }
    }

    [Fact]
    public async Task Every_change_is_audited_under_the_login_without_a_password_or_hash()
    {
        var login = fiscus.Unique("audited-");
        var admin = await fiscus.AdminAsync();
        await CreateAsync(new { login, password = Password, library_id = "MAIN", cash_register_id = 1 });
        using (var update = await admin.PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { overpayment = "credit" })))
        {
            await update.ExpectAsync(HttpStatusCode.OK);
        }
        foreach (var step in new[] { "disable", "enable", "password" })
        {
            using var response = await admin.PostAsync($"/api/v1/sip_logins/{login}/{step}", null);
            await response.ExpectAsync(HttpStatusCode.OK);
        }
        var hash = await fiscus.ScalarAsync<string>("SELECT password_hash FROM sip_logins WHERE login = @login", new { login });

        var entries = await fiscus.QueryAsync<(string Action, string Entity, string Actor, long? UserId, string? Details)>("""
            SELECT action, entity, actor, user_id, details::text FROM audit_log WHERE entity_id = @login ORDER BY audit_id
            """, new { login });

        Assert.Equal(["sip_login.create", "sip_login.update", "sip_login.disable", "sip_login.enable", "sip_login.password"],
            entries.Select(e => e.Action));
        Assert.All(entries, e =>
        {
            Assert.Equal("sip_login", e.Entity);
            Assert.Equal(1, e.UserId);
            Assert.DoesNotContain(Password, e.Details ?? "", StringComparison.Ordinal);
            Assert.DoesNotContain(hash, e.Details ?? "", StringComparison.Ordinal);
            Assert.DoesNotContain("hash", e.Details ?? "", StringComparison.Ordinal);
        });
        var created = JsonNode.Parse(entries[0].Details!)!;
        Assert.False(created["generated_password"]!.GetValue<bool>());
        Assert.Equal("MAIN", created["settings"]!["library_id"]!.GetValue<string>());
        var updated = JsonNode.Parse(entries[1].Details!)!;
        Assert.Equal(("refuse", "credit"), (updated["from"]!["overpayment"]!.GetValue<string>(), updated["to"]!["overpayment"]!.GetValue<string>()));
        Assert.True(JsonNode.Parse(entries[4].Details!)!["generated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_service_client_is_listed_but_cannot_be_changed_through_the_clients_API()
    {
        var (login, _) = await LoginAsync();
        var clientId = (await ServiceClientAsync(login)).ClientId;
        var admin = await fiscus.AdminAsync();

        using var list = await admin.GetAsync("/api/v1/clients?_per_page=1000");
        Assert.Contains(clientId, (await list.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(c => c!["client_id"]!.GetValue<string>()));

        foreach (var response in new[]
                 {
                     await admin.PutAsync($"/api/v1/clients/{clientId}", Json.Body(new { name = fiscus.Unique("Hijack "), scopes = new[] { "refunds:write" } })),
                     await admin.PostAsync($"/api/v1/clients/{clientId}/secret", null),
                     await admin.PostAsync($"/api/v1/clients/{clientId}/disable", null),
                     await admin.PostAsync($"/api/v1/clients/{clientId}/enable", null),
                 })
        {
            using (response)
            {
                var problem = await response.ExpectProblemAsync(HttpStatusCode.Conflict, "sip_login_client");
                var message = problem["error"]!.GetValue<string>();
                Assert.Contains($"SIP login '{login}'", message, StringComparison.Ordinal);
                Assert.Contains("/api/v1/sip_logins", message, StringComparison.Ordinal);
                Assert.Contains("fiscus sip-login", message, StringComparison.Ordinal);
            }
        }
        var client = await ServiceClientAsync(login);
        Assert.Equal(["accounts:read", "payments:write"], client.Scopes);
        Assert.Null(client.DisabledAt);
        Assert.Equal(0, await fiscus.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE entity_id = @clientId", new { clientId }));
    }

    [Fact]
    public async Task The_service_client_gets_no_token_even_with_its_secret()
    {
        var (login, _) = await LoginAsync();
        var serviceClientId = (await ServiceClientAsync(login)).ClientId;
        var ordinary = await fiscus.ClientAsync(["accounts:read"]);
        const string known = "fss_a-secret-somebody-learnt-from-a-backup";
        // Only the schema's owner could write a hash of a secret somebody knows; an ordinary client with it is the control.
        await fiscus.ScalarAsync<int>("""
            UPDATE api_clients SET secret_hash = sha256(convert_to(@known, 'UTF8')) WHERE client_id IN (@serviceClientId, @ordinary) RETURNING 1
            """, new { known, serviceClientId, ordinary = ordinary.ClientId });

        var control = await fiscus.ClientTokenAsync(ordinary.ClientId, known);
        using var refused = await fiscus.Anonymous().PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = serviceClientId, ["client_secret"] = known,
        }));

        Assert.StartsWith("fst_", control, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("unauthorized_client", (await refused.ExpectAsync(HttpStatusCode.Forbidden))["error"]!.GetValue<string>());
        Assert.Equal(0, await fiscus.ScalarAsync<long>(
            "SELECT count(*) FROM access_tokens t JOIN api_clients c USING (api_client_id) WHERE c.client_id = @serviceClientId", new { serviceClientId }));
    }
}
