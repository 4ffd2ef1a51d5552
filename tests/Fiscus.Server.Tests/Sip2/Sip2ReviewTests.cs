using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fiscus.Server.Tests.Sip2;

/// <summary>
/// A hostile review of the SIP2 server (issue 13): money and security holes, and behaviour that would break a kiosk.
/// Every test here states what should hold; each was a finding (failing) until its fix, or a check that held.
/// </summary>
public sealed class Sip2ReviewTests(Sip2Fixture fiscus) : IClassFixture<Sip2Fixture>
{
    const string Usd = Sip2Fixture.Currency;

    // ---- money ---------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Review_a_patron_in_credit_is_shown_and_charged_the_balance_not_the_sum_of_debits()
    {
        // The patron overpaid once at a kiosk that keeps overpayments as credit: 1.00 in credit.
        var (creditKiosk, _, _) = await fiscus.KioskAsync(new { overpayment = "credit" });
        await using var _c = creditKiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 2m);
        Assert.Equal("Y", (await creditKiosk.FeePaidAsync("MAIN", card, "3.00", Usd)).FixedAt(0, 1));
        Assert.Equal(-1m, await fiscus.BalanceAsync(patron));
        // Then a new 5.00 fine: the patron owes 4.00.
        await fiscus.DebitAsync(patron, 5m);
        Assert.Equal(4m, await fiscus.BalanceAsync(patron));

        // A kiosk that refuses overpayment.
        var (kiosk, _, _) = await fiscus.KioskAsync();
        await using var _k = kiosk;
        var info = await kiosk.PatronInformationAsync("MAIN", card);
        var status = await kiosk.PatronStatusAsync("MAIN", card);

        // Paying what the kiosk shows as owed (5.00) is 1.00 more than is owed: refused, the balance never goes into credit.
        var paid = await kiosk.FeePaidAsync("MAIN", card, "5.00", Usd);
        var balance = await fiscus.BalanceAsync(patron);
        Assert.True(balance >= 0m, $"overpayment = refuse; 64 said BV{info.Field("BV")}, 24 said BV{status.Field("BV")}, balance 4.00; "
            + $"paying 5.00 answered {paid.Raw}; balance after: {balance}");
        Assert.Equal("N", paid.FixedAt(0, 1));
        Assert.Equal("4.00", info.Field("BV"));
        Assert.Equal("4.00", status.Field("BV"));
    }

    [Theory]
    [InlineData("1,000")]     // one thousand, with a thousands separator: must not become 1.00
    [InlineData("1.000")]     // three decimals for a two-decimal currency: the rule is "more decimals than the currency has is refused"
    [InlineData("10,000")]
    public async Task Review_an_amount_with_more_decimals_than_the_currency_is_refused_not_read_as_less(string amount)
    {
        var (kiosk, _, _) = await fiscus.KioskAsync(new { overpayment = "credit" });
        await using var _k = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 2000m);
        var answer = await kiosk.FeePaidAsync("MAIN", card, amount, Usd);
        Assert.True(answer.FixedAt(0, 1) == "N", $"BV{amount} was accepted: {answer.Raw}; balance now {await fiscus.BalanceAsync(patron)}");
    }

    [Fact]
    public async Task Review_the_same_BK_sent_by_ten_connections_at_once_pays_once_and_all_get_the_same_38()
    {
        var register = await fiscus.RegisterAsync();
        var (login, password) = await fiscus.SipLoginAsync(register);
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 10m);
        var kiosks = new List<Sip2Client>();
        for (var i = 0; i < 10; i++)
        {
            var k = await fiscus.ConnectAsync();
            Assert.Equal("941", (await k.LoginAsync(login, password)).Raw);
            kiosks.Add(k);
        }
        const string date = "20261128    120000";
        var answers = await Task.WhenAll(kiosks.Select(k =>
            k.SendAsync(Sip2Requests.FeePaid("MAIN", card, "3.00", Usd, transactionId: "RACE-1", transactionDate: date))));
        foreach (var k in kiosks)
        {
            await k.DisposeAsync();
        }
        Assert.Equal(7m, await fiscus.BalanceAsync(patron));
        Assert.All(answers, a => Assert.Equal("Y", a.FixedAt(0, 1)));
        Assert.Single(answers.Select(a => a.Raw).Distinct());
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Review_BKs_are_per_login_and_long_or_odd_BKs_do_not_break_the_answer()
    {
        var (a, _, _) = await fiscus.KioskAsync();
        var (b, _, _) = await fiscus.KioskAsync();
        await using var _a = a;
        await using var _b = b;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 10m);
        Assert.Equal("Y", (await a.FeePaidAsync("MAIN", card, "1.00", Usd, transactionId: "SHARED")).FixedAt(0, 1));
        Assert.Equal("Y", (await b.FeePaidAsync("MAIN", card, "1.00", Usd, transactionId: "SHARED")).FixedAt(0, 1));
        var longest = new string('x', 255);
        Assert.Equal("Y", (await a.FeePaidAsync("MAIN", card, "1.00", Usd, transactionId: longest)).FixedAt(0, 1));
        var tooLong = await a.FeePaidAsync("MAIN", card, "1.00", Usd, transactionId: new string('y', 256));
        Assert.Equal("N", tooLong.FixedAt(0, 1));
        Assert.Equal("Y", (await a.FeePaidAsync("MAIN", card, "1.00", Usd, transactionId: "ünï €")).FixedAt(0, 1));
        Assert.Equal(6m, await fiscus.BalanceAsync(patron));
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Review_a_fee_paid_into_an_archived_register_is_refused_and_keeps_nothing()
    {
        var (kiosk, register, _) = await fiscus.KioskAsync();
        await using var _k = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 5m);
        await fiscus.ScalarAsync<int>("UPDATE cash_registers SET archived = true WHERE cash_register_id = @register RETURNING 1", new { register });
        var answer = await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd, transactionId: "ARCH-1");
        Assert.Equal("N", answer.FixedAt(0, 1));
        Assert.Equal(5m, await fiscus.BalanceAsync(patron));
        Assert.Equal(0, await fiscus.CountAsync("SELECT count(*) FROM idempotency_keys WHERE key = 'external_id:ARCH-1'"));
        await fiscus.AssertLedgerConsistentAsync();
    }

    // ---- the login's settings as they are now ---------------------------------------------------------------------

    [Fact]
    public async Task Review_a_patron_password_rule_tightened_after_the_kiosk_logged_in_applies_to_its_next_fee_paid()
    {
        var (kiosk, _, login) = await fiscus.KioskAsync(new { patron_password = "ignored" });
        await using var _k = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync("4321", "MAIN", 5m);

        using var put = await (await fiscus.AdminAsync()).PutAsync($"/api/v1/sip_logins/{login}", Json.Body(new { patron_password = "required" }));
        Assert.True(put.IsSuccessStatusCode);

        // The kiosk's connection (kiosks keep theirs open for days) still pays without the PIN.
        var paid = await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd);
        Assert.True(paid.FixedAt(0, 1) == "N", $"paid without a PIN after the login was set to required: {paid.Raw}");
        Assert.Equal(5m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task Review_a_disabled_login_can_no_longer_look_patrons_up_on_its_open_connection()
    {
        var (kiosk, _, login) = await fiscus.KioskAsync();
        await using var _k = kiosk;
        var (_, card, _) = await fiscus.PatronWithFinesAsync("4321", "MAIN", 5m);
        using var disable = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/sip_logins/{login}/disable", null);
        Assert.True(disable.IsSuccessStatusCode);

        var info = await kiosk.PatronInformationAsync("MAIN", card, patronPassword: "4321");
        Assert.True(info.Field("BL") == "N" && !info.Has("BV"), $"a disabled login still reads accounts: {info.Raw}");
        var status = await kiosk.PatronStatusAsync("MAIN", card, "1111");
        Assert.True(status.Field("CQ") is null, $"a disabled login still checks PINs: {status.Raw}");
    }

    // ---- PINs ------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Review_guessing_a_patrons_PIN_over_23_is_limited_and_audited()
    {
        var (kiosk, _, login) = await fiscus.KioskAsync();
        await using var _k = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync("4321", "MAIN", 5m);
        // An attacker with one kiosk's login (kiosk configurations hold it in clear) guesses PINs: CQ says which is right.
        var wrong = 0;
        for (var guess = 1000; guess < 1030; guess++)
        {
            var answer = await kiosk.PatronStatusAsync("MAIN", card, guess.ToString(CultureInfo.InvariantCulture));
            if (answer.Field("CQ") == "N")
            {
                wrong++;
            }
        }
        Assert.Equal(30, wrong);
        var right = await kiosk.PatronStatusAsync("MAIN", card, "4321");
        var audited = await fiscus.CountAsync("SELECT count(*) FROM audit_log WHERE actor LIKE @actor AND (action LIKE '%pin%' OR details::text LIKE '%pin%')",
            new { actor = $"sip:{login} %" });
        Assert.True(audited > 0, "30 wrong PINs for one patron left nothing in the audit log");
        Assert.True(right.Field("CQ") != "Y", "after 30 wrong guesses in a row the right PIN is still confirmed at socket speed");
        _ = patron;
    }

    // ---- the connection --------------------------------------------------------------------------------------------

    [Fact]
    public async Task Review_a_client_that_never_reads_its_answers_does_not_hold_a_connection_past_the_idle_timeout()
    {
        // The class's earlier tests' connections close on their own (within the 5 s idle timeout): counted in the baseline
        // and then gone, they would hide this test's connection from the check below (a flake seen in CI).
        var settled = DateTime.UtcNow.AddSeconds(15);
        while (fiscus.Server.OpenConnections > 0 && DateTime.UtcNow < settled)
        {
            await Task.Delay(200);
        }
        var baseline = fiscus.Server.OpenConnections;
        using var tcp = new TcpClient { ReceiveBufferSize = 1024 };
        await tcp.ConnectAsync(IPAddress.Loopback, fiscus.Port);
        var stream = tcp.GetStream();
        // No login needed: 99 is answered before one. Send requests and never read the answers.
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("9900302.00\r", 1000)));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var writer = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await stream.WriteAsync(chunk, stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }
        });
        // Long enough for both sides' buffers to fill and the server to be stuck writing.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.True(fiscus.Server.OpenConnections > baseline);
        // The fixture's idle timeout is 5 s: well past it, the connection should be gone.
        var deadline = DateTime.UtcNow.AddSeconds(14);
        while (DateTime.UtcNow < deadline && fiscus.Server.OpenConnections > baseline)
        {
            await Task.Delay(500);
        }
        var open = fiscus.Server.OpenConnections;
        await stop.CancelAsync();
        tcp.Client.Close(0);
        await writer;
        Assert.True(open <= baseline, $"a client that stopped reading still holds its connection ({open} open, {baseline} before)");
    }

    [Fact]
    public async Task Review_the_connection_limit_recovers_once_idle_connections_time_out()
    {
        var sockets = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var s = new TcpClient();
                try
                {
                    await s.ConnectAsync(IPAddress.Loopback, fiscus.Port);
                }
                catch (SocketException)
                {
                }
                sockets.Add(s);
            }
            await Task.Delay(500);
            // 200 sockets that never log in (or send anything) fill every slot: a real kiosk is turned away.
            Assert.Equal(200, fiscus.Server.OpenConnections);
            bool closed;
            try
            {
                await using var refused = await fiscus.ConnectAsync();
                closed = await refused.IsClosedByServerAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                closed = true;
            }
            Assert.True(closed);
            // Past the idle timeout (5 s) the squatters are closed and a kiosk gets in again.
            await Task.Delay(TimeSpan.FromSeconds(8));
            await using var kiosk = await fiscus.ConnectAsync();
            Assert.Equal("98", (await kiosk.ScStatusAsync()).CommandId);
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }
    }

    [Fact]
    public async Task Review_framing_edge_cases_get_answers_and_keep_the_connection()
    {
        var (kiosk, _, _) = await fiscus.KioskAsync();
        await using var _k = kiosk;
        var (_, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 1m);
        // CR LF endings, lowercase checksum, a NUL inside a field, a UTF-8 card number and invalid UTF-8.
        await kiosk.SendRawAsync("9900302.00\r\n");
        Assert.StartsWith("98", await kiosk.ReadRawAsync(), StringComparison.Ordinal);
        var body = "9900302.00AY1AZ";
        var sum = Sip2ChecksumFor(body).ToLowerInvariant();
        await kiosk.SendRawAsync(body + sum + "\r");
        Assert.StartsWith("98", await kiosk.ReadRawAsync(), StringComparison.Ordinal);
        var nul = await kiosk.SendAsync(Sip2Requests.PatronStatus("MAIN", card + "\0x"));
        Assert.Equal("24", nul.CommandId);
        Assert.Equal("N", nul.Field("BL"));
        var utf8 = await kiosk.SendAsync(Sip2Requests.PatronStatus("MAIN", "ÄÖÜ€漢字"));
        Assert.Equal("N", utf8.Field("BL"));
        await kiosk.SendRawAsync([.. Encoding.ASCII.GetBytes("23000" + "20261128    120000" + "AOMAIN|AA"), 0xC3, 0x28, 0xFF, (byte)'|', (byte)'\r']);
        Assert.StartsWith("24", await kiosk.ReadRawAsync(), StringComparison.Ordinal);
        Assert.Equal("98", (await kiosk.ScStatusAsync()).CommandId);
        Assert.Equal("Y", (await kiosk.PatronStatusAsync("MAIN", card)).Field("BL"));
    }

    static string Sip2ChecksumFor(string throughAz)
    {
        var sum = Encoding.ASCII.GetBytes(throughAz).Sum(b => b);
        return (-sum & 0xFFFF).ToString("X4", CultureInfo.InvariantCulture);
    }
}

/// <summary>The login throttle is per instance and per address: a test class of its own, so it blocks nobody else's logins.</summary>
public sealed class Sip2ReviewThrottleTests(Sip2Fixture fiscus) : IClassFixture<Sip2Fixture>
{
    [Fact]
    public async Task Review_someone_guessing_logins_from_the_kiosks_address_does_not_lock_the_real_kiosk_out()
    {
        var register = await fiscus.RegisterAsync();
        var (login, password) = await fiscus.SipLoginAsync(register);
        // Kiosks behind one NAT, or every kiosk behind the TCP load balancer the issue allows, share an address.
        await using (var attacker = await fiscus.ConnectAsync())
        {
            for (var i = 0; i < 6; i++)
            {
                Assert.Equal("940", (await attacker.LoginAsync("guess" + i, "wrong-password-x")).Raw);
            }
        }
        await using var kiosk = await fiscus.ConnectAsync();
        Assert.Equal("941", (await kiosk.LoginAsync(login, password)).Raw);
    }
}
