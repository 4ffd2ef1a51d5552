using Fiscus.Testing;

namespace Fiscus.Server.Tests;

/// <summary><c>fiscus sip-login ...</c> and <c>fiscus patron pin</c>: the names kiosk vendors' instructions use, on the API's rules.</summary>
public sealed partial class CliTests
{
    async Task<T> OwnerScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new Npgsql.NpgsqlConnection(TestDatabases.ConnectionStringFor(database));
        await connection.OpenAsync();
        return (await Dapper.SqlMapper.ExecuteScalarAsync<T>(connection, sql, parameters))!;
    }

    [Fact]
    public async Task Sip_login_add_list_disable_enable_and_password()
    {
        var added = await RunAsync("sip-login", "add", "--login", "kiosk-1", "--password", "lantern-drawer-stone-5", "--library", "MAIN",
            "--register", "1", "--patron-password", "required", "--overpayment", "credit", "--payment-type", "00=CASH", "--payment-type", "01=CARD",
            "--fine-item-format", "{id} {amount}");
        Assert.True(added.Code == 0, added.Error);
        Assert.Contains("created SIP login kiosk-1", added.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^payment_types: +00=CASH 01=CARD$", added.Output);
        Assert.Matches(@"(?m)^patron_password: +required$", added.Output);
        Assert.DoesNotContain("lantern-drawer-stone-5", added.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("shown once", added.Output, StringComparison.Ordinal);

        var list = await RunAsync("sip-login", "list");
        Assert.Equal(0, list.Code);
        Assert.Matches(@"(?m)^login\s+library\s+register\s+patron_password\s+overpayment\s+payment_types\s+status$", list.Output);
        Assert.Matches(@"(?m)^kiosk-1\s+MAIN\s+1\s+required\s+credit\s+00=CASH 01=CARD\s+enabled$", list.Output);

        var disabled = await RunAsync("sip-login", "disable", "--login", "kiosk-1");
        Assert.True(disabled.Code == 0, disabled.Error);
        Assert.Contains("disabled SIP login kiosk-1", disabled.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^kiosk-1\s.*\sdisabled$", (await RunAsync("sip-login", "list")).Output);
        Assert.True(await OwnerScalarAsync<bool>(
            "SELECT c.disabled_at IS NOT NULL FROM sip_logins s JOIN api_clients c USING (api_client_id) WHERE s.login = 'kiosk-1'"));

        var enabled = await RunAsync("sip-login", "enable", "--login", "kiosk-1");
        Assert.True(enabled.Code == 0, enabled.Error);
        Assert.Matches(@"(?m)^kiosk-1\s.*\senabled$", (await RunAsync("sip-login", "list")).Output);

        var generated = await RunAsync("sip-login", "password", "--login", "kiosk-1");
        Assert.True(generated.Code == 0, generated.Error);
        Assert.Matches("new password for kiosk-1: [A-Za-z0-9]{16}", generated.Output);
        var chosen = await RunAsync("sip-login", "password", "--login", "kiosk-1", "--password", "another-kiosk-lamp-6");
        Assert.True(chosen.Code == 0, chosen.Error);
        Assert.Contains("password changed for kiosk-1", chosen.Output, StringComparison.Ordinal);

        Assert.Equal("sip_login.create sip_login.disable sip_login.enable sip_login.password sip_login.password", await OwnerScalarAsync<string>(
            "SELECT string_agg(action, ' ' ORDER BY audit_id) FROM audit_log WHERE entity = 'sip_login' AND entity_id = 'kiosk-1' AND actor LIKE 'cli (%'"));
        Assert.False(await OwnerScalarAsync<bool>(
            "SELECT bool_or(details::text LIKE '%lantern%' OR details::text LIKE '%another-kiosk%') FROM audit_log WHERE entity = 'sip_login'"));
    }

    [Fact]
    public async Task Sip_login_add_without_a_password_prints_a_generated_one_and_the_defaults()
    {
        var added = await RunAsync("sip-login", "add", "--login", "gen-kiosk", "--library", "MAIN", "--register", "1");

        Assert.True(added.Code == 0, added.Error);
        Assert.Matches(@"password for gen-kiosk \(shown once\): [A-Za-z0-9]{16}\n", added.Output);
        Assert.Matches(@"(?m)^patron_password: +if-set$", added.Output);
        Assert.Matches(@"(?m)^overpayment: +refuse$", added.Output);
        Assert.Matches(@"(?m)^payment_types: +00=SIP00 01=CARD 02=CARD$", added.Output);
        Assert.Matches(@"(?m)^fine_item_format: +\{id\} \{amount\} \{type\} \{description\}$", added.Output);
    }

    [Theory]
    [InlineData("password must be at least 8 characters", "--login", "k2", "--password", "short", "--library", "MAIN", "--register", "1")]
    [InlineData("cash_register_id 424242 does not name a register", "--login", "k2", "--library", "MAIN", "--register", "424242")]
    [InlineData("Register 1 belongs to library MAIN, not ELSE", "--login", "k2", "--library", "ELSE", "--register", "1")]
    [InlineData("--payment-type must be a SIP2 payment type and a Fiscus payment type", "--login", "k2", "--library", "MAIN", "--register", "1",
        "--payment-type", "01")]
    [InlineData("--payment-type must be a SIP2 payment type and a Fiscus payment type", "--login", "k2", "--library", "MAIN", "--register", "1",
        "--payment-type", "01=CARD", "--payment-type", "01=CASH")]
    [InlineData("01 maps to 'VISA', which is not a payment type in use", "--login", "k2", "--library", "MAIN", "--register", "1",
        "--payment-type", "01=VISA")]
    [InlineData("payment_types keys are SIP2 payment types, two digits", "--login", "k2", "--library", "MAIN", "--register", "1",
        "--payment-type", "1=CARD")]
    [InlineData("fine_item_format must contain {id}", "--login", "k2", "--library", "MAIN", "--register", "1", "--fine-item-format", "{amount} due")]
    [InlineData("login must be 1 to 64 letters", "--login", "kiosk two", "--library", "MAIN", "--register", "1")]
    public async Task Sip_login_add_applies_the_same_rules_as_the_API(string message, params string[] options)
    {
        var result = await RunAsync(["sip-login", "add", .. options]);

        Assert.Equal(1, result.Code);
        Assert.StartsWith("fiscus: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sip_login_refuses_an_unknown_policy_a_duplicate_and_an_unknown_login()
    {
        var policy = await RunAsync("sip-login", "add", "--login", "k3", "--library", "MAIN", "--register", "1", "--patron-password", "sometimes");
        Assert.NotEqual(0, policy.Code);
        Assert.True((await RunAsync("sip-login", "add", "--login", "k3", "--library", "MAIN", "--register", "1")).Code == 0);

        var twin = await RunAsync("sip-login", "add", "--login", "K3", "--library", "MAIN", "--register", "1");
        var unknown = await RunAsync("sip-login", "disable", "--login", "nobody");

        Assert.Equal(1, twin.Code);
        Assert.Contains("There is already a SIP login 'k3'", twin.Error, StringComparison.Ordinal);
        Assert.Equal(1, unknown.Code);
        Assert.Contains("There is no SIP login 'nobody'", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_verbs_leave_a_sip_logins_service_client_alone()
    {
        Assert.Equal(0, (await RunAsync("sip-login", "add", "--login", "k4", "--library", "MAIN", "--register", "1")).Code);
        var clientId = await OwnerScalarAsync<string>("SELECT c.client_id FROM sip_logins s JOIN api_clients c USING (api_client_id) WHERE s.login = 'k4'");

        var listed = await RunAsync("client", "list");
        var rotate = await RunAsync("client", "rotate-secret", "--client-id", clientId);
        var disable = await RunAsync("client", "disable", "--client-id", clientId);

        Assert.Contains("SIP login k4", listed.Output, StringComparison.Ordinal);
        foreach (var refused in new[] { rotate, disable })
        {
            Assert.Equal(1, refused.Code);
            Assert.Contains("belongs to SIP login 'k4'", refused.Error, StringComparison.Ordinal);
            Assert.Contains("fiscus sip-login", refused.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("fss_", refused.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Patron_pin_sets_and_clears_a_PIN_by_cardnumber()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);
        await OwnerScalarAsync<int>("INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at) VALUES ('P1', 'Pin', 'MAIN', now(), now()) RETURNING 1");

        var set = await RunAsync("patron", "pin", "--cardnumber", "P1", "--pin", "2468");
        Assert.True(set.Code == 0, set.Error);
        Assert.Contains("set the PIN of patron", set.Output, StringComparison.Ordinal);
        var hash = await OwnerScalarAsync<string>("SELECT pin_hash FROM patrons WHERE cardnumber = 'P1'");
        Assert.True(new Fiscus.Server.Auth.Passwords().Verify(hash, "2468").Valid);

        var cleared = await RunAsync("patron", "pin", "--cardnumber", "P1", "--clear");
        Assert.True(cleared.Code == 0, cleared.Error);
        Assert.Contains("removed the PIN of patron", cleared.Output, StringComparison.Ordinal);
        Assert.True(await OwnerScalarAsync<bool>("SELECT pin_hash IS NULL AND pin_changed_at IS NOT NULL FROM patrons WHERE cardnumber = 'P1'"));
        Assert.Equal("patron.pin_set patron.pin_cleared", await OwnerScalarAsync<string>(
            "SELECT string_agg(action, ' ' ORDER BY audit_id) FROM audit_log WHERE entity = 'patron' AND actor LIKE 'cli (%'"));
    }

    [Theory]
    [InlineData("give either --pin PIN or --clear", "--cardnumber", "P1")]
    [InlineData("give either --pin PIN or --clear", "--cardnumber", "P1", "--pin", "1234", "--clear")]
    [InlineData("there is no patron with cardnumber 'NOPE'", "--cardnumber", "NOPE", "--pin", "1234")]
    [InlineData("pin must be 4 to 64 characters", "--cardnumber", "P1", "--pin", "123")]
    [InlineData("pin must not contain '|'", "--cardnumber", "P1", "--pin", "12|34")]
    public async Task Patron_pin_refuses_what_the_API_refuses(string message, params string[] options)
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);
        await OwnerScalarAsync<int>("INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at) VALUES ('P1', 'Pin', 'MAIN', now(), now()) RETURNING 1");

        var result = await RunAsync(["patron", "pin", .. options]);

        Assert.Equal(1, result.Code);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Null(await OwnerScalarAsync<string?>("SELECT pin_hash FROM patrons WHERE cardnumber = 'P1'"));
    }
}
