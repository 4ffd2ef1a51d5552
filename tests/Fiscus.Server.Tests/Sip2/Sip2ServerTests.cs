using Microsoft.Extensions.DependencyInjection;
using System.Globalization;
using System.Text;

namespace Fiscus.Server.Tests.Sip2;

/// <summary>
/// The SIP2 server over a real TCP socket, with a client written from the specification: every supported message with
/// good and bad input, the kiosk's seed scenario, exactly-once fee payments, and what a hostile or broken kiosk sends.
/// </summary>
public sealed class Sip2ServerTests(Sip2Fixture fiscus) : IClassFixture<Sip2Fixture>
{
    const string Usd = Sip2Fixture.Currency;

    [Fact]
    public async Task The_seed_scenario_pays_two_fines_by_id_and_one_oldest_first_into_the_kiosks_register_and_its_cashup()
    {
        var (kiosk, register, login) = await fiscus.KioskAsync(errorDetection: true);
        await using var _ = kiosk;
        var (patron, card, fines) = await fiscus.PatronWithFinesAsync(null, "MAIN", 2.50m, 1.25m, 4.00m);

        var status = await kiosk.ScStatusAsync();
        Assert.Equal("98", status.CommandId);
        Assert.Equal("YNNNYYYYYYNNNNNN", status.Field("BX"));
        Assert.Equal("MAIN", status.Field("AO"));

        var info = await kiosk.PatronInformationAsync("MAIN", card);
        Assert.Equal("64", info.CommandId);
        Assert.Equal("Y", info.Field("BL"));
        Assert.Equal(Usd, info.Field("BH"));
        Assert.Equal("7.75", info.Field("BV"));
        Assert.Equal("0003", info.FixedAt(17 + 18 + 12, 4));
        var items = info.All("AV");
        Assert.Equal(3, items.Count);
        Assert.StartsWith($"{fines[0]} 2.50 MANUAL ", items[0], StringComparison.Ordinal);
        Assert.StartsWith($"{fines[2]} 4.00 MANUAL ", items[2], StringComparison.Ordinal);

        // Two fines by their id (the first token of AV), then one payment without a fee id: the oldest debt left first.
        var first = await kiosk.FeePaidAsync("MAIN", card, "4.00", Usd, feeIdentifier: items[2].Split(' ')[0], transactionId: "TX-A");
        Assert.Equal("38", first.CommandId);
        Assert.Equal("Y", first.FixedAt(0, 1));
        Assert.Equal("TX-A", first.Field("BK"));
        Assert.Equal(card, first.Field("AA"));
        var second = await kiosk.FeePaidAsync("MAIN", card, "1.25", Usd, feeIdentifier: items[1], transactionId: "TX-B");
        Assert.Equal("Y", second.FixedAt(0, 1));
        var third = await kiosk.FeePaidAsync("MAIN", card, "2.50", Usd, transactionId: "TX-C");
        Assert.Equal("Y", third.FixedAt(0, 1));
        Assert.Contains("You owe nothing now.", third.Field("AF"), StringComparison.Ordinal);

        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
        var payments = await fiscus.QueryAsync<(long Id, string ExternalId, string Interface, int? Register, string PaymentType, long Amount)>("""
            SELECT account_line_id, external_id, interface, cash_register_id, payment_type, amount_minor FROM account_lines
            WHERE patron_id = @patron AND credit_type_code = 'PAYMENT' ORDER BY account_line_id
            """, new { patron });
        Assert.Equal(["TX-A", "TX-B", "TX-C"], payments.Select(p => p.ExternalId));
        Assert.All(payments, p => Assert.Equal(("sip", register, "SIP00"), (p.Interface, p.Register, p.PaymentType)));
        Assert.Equal([-400L, -125L, -250L], payments.Select(p => p.Amount));
        // Each fine was paid by the payment meant for it.
        Assert.Equal(3, await fiscus.CountAsync("""
            SELECT count(*) FROM account_offsets o JOIN account_lines c ON c.account_line_id = o.credit_id
            WHERE o.type = 'APPLY' AND (c.external_id, o.debit_id) IN (('TX-A', @f2), ('TX-B', @f1), ('TX-C', @f0))
            """, new { f0 = fines[0], f1 = fines[1], f2 = fines[2] }));

        // The kiosk's register: the payments are in its open session, and its cash-up expects them as cash (SIP00).
        using var admin = await fiscus.AdminAsync();
        using var session = await admin.GetAsync($"/api/v1/cash_registers/{register}/session");
        var lines = (await session.ExpectAsync(System.Net.HttpStatusCode.OK))["lines"]!.AsArray();
        Assert.Equal(3, lines.Count);
        using var cashup = await admin.PostAsync($"/api/v1/cash_registers/{register}/cashups",
            Json.Body(new { reconciliations = new[] { new { payment_type = "SIP00", counted = 7.75m } } }));
        var counted = await cashup.ExpectAsync(System.Net.HttpStatusCode.Created);
        var reconciliation = counted["fiscus"]!["reconciliations"]!.AsArray().Single(r => r!["payment_type"]!.GetValue<string>() == "SIP00")!;
        Assert.Equal(7.75m, reconciliation["expected"]!.GetValue<decimal>());
        Assert.Equal(0m, reconciliation["difference"]!.GetValue<decimal>());

        // The audit log names the SIP login as the actor of the login and of each payment.
        Assert.Equal(1, await fiscus.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'sip.login' AND entity_id = @login", new { login }));
        Assert.Equal(3, await fiscus.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'sip.fee_paid' AND actor LIKE @actor",
            new { actor = $"sip:{login} (client:%)" }));
    }

    [Fact]
    public async Task A_fee_paid_whose_answer_was_lost_and_is_sent_again_pays_once()
    {
        var (kiosk, register, login) = await fiscus.KioskAsync(errorDetection: true);
        await using var _ = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 10m);

        var answer = await kiosk.FeePaidAsync("MAIN", card, "3.00", Usd, transactionId: "LOST-1");
        Assert.Equal("Y", answer.FixedAt(0, 1));

        // The same bytes again (same AY and AZ): the protocol's own duplicate suppression answers without acting.
        await kiosk.ResendLastAsync();
        var repeated = await kiosk.ReadResponseAsync();
        Assert.Equal(answer.Raw, repeated.Raw);

        // A new connection (the kiosk reconnected after a timeout) and a rebuilt message with a new date, same BK.
        await using var again = await fiscus.ConnectAsync();
        Assert.Equal("941", (await again.LoginAsync(login, "kiosk-password-2718")).Raw);
        var retry = await again.SendAsync(Sip2Requests.FeePaid("MAIN", card, "3.00", Usd, transactionId: "LOST-1",
            transactionDate: "20261128    235959"));
        Assert.Equal("Y", retry.FixedAt(0, 1));
        Assert.Equal(StripErrorDetection(answer.Raw), retry.Raw);

        // The same BK for another amount is refused, and says why.
        var reused = await again.FeePaidAsync("MAIN", card, "4.00", Usd, transactionId: "LOST-1");
        Assert.Equal("N", reused.FixedAt(0, 1));
        Assert.Contains("already used for a different payment", reused.Field("AF"), StringComparison.Ordinal);

        Assert.Equal(7m, await fiscus.BalanceAsync(patron));
        Assert.Equal(1, await fiscus.CountAsync("SELECT count(*) FROM account_lines WHERE patron_id = @patron AND credit_type_code IS NOT NULL", new { patron }));
        Assert.Equal(register, await fiscus.ScalarAsync<int>(
            "SELECT cash_register_id FROM account_lines WHERE patron_id = @patron AND external_id = 'LOST-1'", new { patron }));
    }

    [Fact]
    public async Task A_BK_past_its_keys_retention_confirms_the_recorded_payment_and_refuses_another()
    {
        var (kiosk, _, _) = await fiscus.KioskAsync();
        await using var _k = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 10m);
        Assert.Equal("Y", (await kiosk.FeePaidAsync("MAIN", card, "2.00", Usd, transactionId: "OLD-1")).FixedAt(0, 1));
        await fiscus.ScalarAsync<int>("DELETE FROM idempotency_keys WHERE key = 'external_id:OLD-1' RETURNING 1");

        var confirmed = await kiosk.FeePaidAsync("MAIN", card, "2.00", Usd, transactionId: "OLD-1");
        Assert.Equal("Y", confirmed.FixedAt(0, 1));
        Assert.Contains("already recorded", confirmed.Field("AF"), StringComparison.Ordinal);
        var other = await kiosk.FeePaidAsync("MAIN", card, "5.00", Usd, transactionId: "OLD-1");
        Assert.Equal("N", other.FixedAt(0, 1));
        Assert.Equal(8m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task Twenty_kiosks_paying_one_patron_at_once_leave_the_balance_exact()
    {
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 15m, 15m);
        var logins = new List<(string Login, string Password)>();
        for (var i = 0; i < 20; i++)
        {
            logins.Add(await fiscus.SipLoginAsync(await fiscus.RegisterAsync()));
        }
        // Connected once all are set up (the fixture's idle timeout is short), each to its own register.
        var kiosks = (await Task.WhenAll(logins.Select(async (l, i) =>
        {
            var k = await fiscus.ConnectAsync(errorDetection: i % 2 == 0);
            Assert.Equal("941", (await k.LoginAsync(l.Login, l.Password)).Raw[..3]);
            return k;
        }))).ToList();
        try
        {
            // 20 × 1.75 = 35.00 offered against 30.00 owed: some must be refused, none may overpay, and each BK is sent twice.
            var answers = await Task.WhenAll(kiosks.Select(async (k, i) =>
            {
                var id = string.Create(CultureInfo.InvariantCulture, $"RACE-{i}");
                var firstTry = await k.FeePaidAsync("MAIN", card, "1.75", Usd, transactionId: id);
                var secondTry = await k.FeePaidAsync("MAIN", card, "1.75", Usd, transactionId: id);
                // The retry of an accepted payment is its stored answer; of a refused one, refused again (what is owed only fell).
                Assert.Equal(firstTry.FixedAt(0, 1), secondTry.FixedAt(0, 1));
                if (firstTry.FixedAt(0, 1) == "Y")
                {
                    Assert.Equal(StripErrorDetection(firstTry.Raw), StripErrorDetection(secondTry.Raw));
                }
                return firstTry;
            }));
            var accepted = answers.Count(a => a.FixedAt(0, 1) == "Y");
            Assert.Equal(17, accepted);
            Assert.Equal(30m - 17 * 1.75m, await fiscus.BalanceAsync(patron));
            Assert.Equal(accepted, await fiscus.CountAsync("SELECT count(*) FROM account_lines WHERE patron_id = @patron AND credit_type_code = 'PAYMENT'",
                new { patron }));
        }
        finally
        {
            foreach (var k in kiosks)
            {
                await k.DisposeAsync();
            }
        }
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Fee_paid_refusals_say_why_and_keep_nothing()
    {
        var (kiosk, _, login) = await fiscus.KioskAsync();
        await using var _k = kiosk;
        var (patron, card, fines) = await fiscus.PatronWithFinesAsync(null, "MAIN", 5m);
        var (other, otherCard, otherFines) = await fiscus.PatronWithFinesAsync(null, "MAIN", 1m);
        var elsewhere = await fiscus.PatronAsync("MAIN");
        await fiscus.ScalarAsync<int>("""
            INSERT INTO libraries (library_id, name, time_zone, created_at, updated_at) VALUES ('SIPX', 'Elsewhere', 'UTC', now(), now())
            ON CONFLICT DO NOTHING RETURNING 1
            """);
        await fiscus.ScalarAsync<int>("UPDATE patrons SET library_id = 'SIPX' WHERE patron_id = @elsewhere RETURNING 1", new { elsewhere });
        var elsewhereCard = await fiscus.ScalarAsync<string>("SELECT cardnumber FROM patrons WHERE patron_id = @elsewhere", new { elsewhere });

        var cases = new (string Message, string Because)[]
        {
            (Sip2Requests.FeePaid("MAIN", card, "1.00", "EUR"), "in USD"),
            (Sip2Requests.FeePaid("MAIN", card, "1.001", Usd), "not accepted"),
            (Sip2Requests.FeePaid("MAIN", card, "0.00", Usd), "not accepted"),
            (Sip2Requests.FeePaid("MAIN", card, "-1.00", Usd), "not accepted"),
            (Sip2Requests.FeePaid("MAIN", card, "1000000.01", Usd), "not accepted"),
            (Sip2Requests.FeePaid("MAIN", card, "abc", Usd), "not accepted"),
            ("37" + "20261128    1200000100" + Usd + "AOMAIN|AA" + card + "|", "No amount"),
            (Sip2Requests.FeePaid("MAIN", card, "1.00", Usd, paymentType: "07"), "Payment type 07"),
            (Sip2Requests.FeePaid("MAIN", "no-such-card", "1.00", Usd), "Unknown patron"),
            (Sip2Requests.FeePaid("MAIN", elsewhereCard, "1.00", Usd), "cannot be used at this kiosk"),
            (Sip2Requests.FeePaid("MAIN", card, "1.00", Usd, feeIdentifier: otherFines[0].ToString(CultureInfo.InvariantCulture)), "not on this account"),
            (Sip2Requests.FeePaid("MAIN", card, "1.00", Usd, feeIdentifier: "nonsense"), "is not one this kiosk was given"),
            (Sip2Requests.FeePaid("MAIN", card, "5.01", Usd), "more than is owed"),
            (Sip2Requests.FeePaid("MAIN", card, "5.01", Usd, feeIdentifier: fines[0].ToString(CultureInfo.InvariantCulture)), "more than is owed"),
            ("37" + "2026112" + "0100" + Usd + "BV1.00|AOMAIN|AA" + card + "|", "malformed"),
            ("37" + "20261128    12000001" + "0A" + Usd + "BV1.00|AOMAIN|AA" + card + "|", "two digits"),
        };
        foreach (var (message, because) in cases)
        {
            var answer = await kiosk.SendAsync(message);
            Assert.Equal("38", answer.CommandId);
            Assert.True(answer.FixedAt(0, 1) == "N", $"{message} was accepted");
            Assert.True(answer.Field("AF")?.Contains(because, StringComparison.Ordinal) == true, $"{message}: {answer.Field("AF")}");
        }
        Assert.Equal(5m, await fiscus.BalanceAsync(patron));
        Assert.Equal(1m, await fiscus.BalanceAsync(other));
        Assert.Equal(0, await fiscus.CountAsync("SELECT count(*) FROM account_lines WHERE patron_id IN (@patron, @other) AND credit_type_code IS NOT NULL",
            new { patron, other }));
        Assert.Equal(cases.Length, await fiscus.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'sip.fee_paid_refused' AND actor LIKE @actor",
            new { actor = $"sip:{login} %" }));

        // Paid in full, a fee named again is already paid; nothing owed refuses a payment without a fee id.
        var fine = fines[0].ToString(CultureInfo.InvariantCulture);
        Assert.Equal("Y", (await kiosk.FeePaidAsync("MAIN", card, "5,00", Usd, feeIdentifier: fine)).FixedAt(0, 1));
        Assert.Contains("already paid", (await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd, feeIdentifier: fine)).Field("AF"), StringComparison.Ordinal);
        Assert.Contains("nothing to pay", (await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd)).Field("AF"), StringComparison.Ordinal);
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
        _ = otherCard;
    }

    [Fact]
    public async Task An_overpayment_is_kept_as_credit_when_the_login_says_so()
    {
        var (kiosk, _, _) = await fiscus.KioskAsync(new { overpayment = "credit" });
        await using var _k = kiosk;
        var (patron, card, fines) = await fiscus.PatronWithFinesAsync(null, "MAIN", 2m, 3m);

        var answer = await kiosk.FeePaidAsync("MAIN", card, "6.00", Usd, feeIdentifier: fines[1].ToString(CultureInfo.InvariantCulture));
        Assert.Equal("Y", answer.FixedAt(0, 1));
        Assert.Contains("1.00 USD in credit", answer.Field("AF"), StringComparison.Ordinal);
        // The named fee first, then the other debt, then credit.
        Assert.Equal(-1m, await fiscus.BalanceAsync(patron));
        Assert.Equal(0, await fiscus.CountAsync("SELECT count(*) FROM account_lines WHERE patron_id = @patron AND debit_type_code IS NOT NULL AND amount_outstanding_minor > 0",
            new { patron }));
    }

    [Fact]
    public async Task Card_payment_types_map_per_login_and_unmapped_ones_are_refused()
    {
        var (kiosk, register, _) = await fiscus.KioskAsync(new { payment_types = new Dictionary<string, string> { ["00"] = "SIP00", ["02"] = "CARD" } });
        await using var _k = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 5m);

        Assert.Equal("Y", (await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd, paymentType: "02", feeType: "04")).FixedAt(0, 1));
        Assert.Equal("N", (await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd, paymentType: "01")).FixedAt(0, 1));
        var line = await fiscus.QueryAsync<(string PaymentType, int? Register, string Description)>(
            "SELECT payment_type, cash_register_id, description FROM account_lines WHERE patron_id = @patron AND credit_type_code = 'PAYMENT'", new { patron });
        Assert.Equal(("CARD", (int?)register, "SIP2 fee paid: overdue"), line.Single());
    }

    [Theory]
    [InlineData("if-set", null, null, "Y", null)]          // no PIN set: nothing to check
    [InlineData("if-set", "4321", null, "N", null)]        // a PIN is set and none was given
    [InlineData("if-set", "4321", "1234", "N", "N")]
    [InlineData("if-set", "4321", "4321", "Y", "Y")]
    [InlineData("required", null, "1234", "N", "N")]       // required, but the patron has none
    [InlineData("required", "4321", "4321", "Y", "Y")]
    [InlineData("ignored", "4321", "1234", "Y", "N")]      // not enforced; CQ still tells the truth
    [InlineData("ignored", "4321", null, "Y", null)]
    public async Task The_patron_password_is_required_checked_or_ignored_per_login(
        string policy, string? pin, string? given, string payAccepted, string? cq)
    {
        var (kiosk, _, _) = await fiscus.KioskAsync(new { patron_password = policy });
        await using var _k = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(pin, "MAIN", 5m);

        var status = await kiosk.PatronStatusAsync("MAIN", card, given);
        Assert.Equal("Y", status.Field("BL"));
        Assert.Equal(cq, status.Field("CQ"));
        var info = await kiosk.PatronInformationAsync("MAIN", card, given);
        // Without the PIN a kiosk learns no amounts.
        Assert.Equal(payAccepted == "Y", info.Has("BV"));
        Assert.Equal(payAccepted == "Y" ? 1 : 0, info.All("AV").Count);
        var paid = await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd, patronPassword: given);
        Assert.Equal(payAccepted, paid.FixedAt(0, 1));
        Assert.Equal(payAccepted == "Y" ? 4m : 5m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task Patron_information_pages_fine_items_in_the_logins_format()
    {
        var (kiosk, _, _) = await fiscus.KioskAsync(new { fine_item_format = "{id} ${amount} \"{type}\" {description} {currency} {date}" });
        await using var _k = kiosk;
        var (_, card, fines) = await fiscus.PatronWithFinesAsync(null, "MAIN", 1m, 2m, 3m, 4m);

        var page = await kiosk.PatronInformationAsync("MAIN", card, startItem: "2", endItem: "3");
        var items = page.All("AV");
        var today = fiscus.Clock.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal([$"{fines[1]} $2.00 \"MANUAL\" MANUAL charge USD {today}", $"{fines[2]} $3.00 \"MANUAL\" MANUAL charge USD {today}"], items);
        Assert.Equal("0004", page.FixedAt(17 + 18 + 12, 4));
        Assert.Equal("10.00", page.Field("BV"));

        var none = await kiosk.PatronInformationAsync("MAIN", card, summary: Sip2Requests.NoSummary);
        Assert.Empty(none.All("AV"));
        var unknown = await kiosk.PatronInformationAsync("MAIN", "no-such-card");
        Assert.Equal("N", unknown.Field("BL"));
        Assert.Equal("YYYY", unknown.FixedAt(0, 4));
    }

    [Fact]
    public async Task Logins_are_checked_and_nothing_is_served_before_one()
    {
        var register = await fiscus.RegisterAsync();
        var (login, password) = await fiscus.SipLoginAsync(register);
        var (_, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 1m);
        await using var kiosk = await fiscus.ConnectAsync();

        Assert.Equal("98", (await kiosk.ScStatusAsync()).CommandId);
        Assert.Equal("N", (await kiosk.PatronStatusAsync("MAIN", card)).Field("BL"));
        Assert.Equal("N", (await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd)).FixedAt(0, 1));
        Assert.Equal("36N", (await kiosk.EndPatronSessionAsync("MAIN", card)).Raw[..3]);
        Assert.Equal("940", (await kiosk.LoginAsync(login, "wrong-password")).Raw);
        Assert.Equal("940", (await kiosk.LoginAsync(login.ToUpperInvariant(), password)).Raw);
        Assert.Equal("940", (await kiosk.SendAsync(Sip2Requests.Login(login, password, pwdAlgorithm: '1'))).Raw);
        Assert.Equal("941", (await kiosk.LoginAsync(login, password)).Raw);
        Assert.Equal("Y", (await kiosk.PatronStatusAsync("MAIN", card)).Field("BL"));
        Assert.Equal("36Y", (await kiosk.EndPatronSessionAsync("MAIN", card)).Raw[..3]);
        Assert.True(await fiscus.CountAsync("SELECT count(*) FROM audit_log WHERE action = 'sip.login_failed' AND remote_address = '127.0.0.1'") >= 3);

        // A disabled login stops paying at its next message, on a connection that logged in before.
        using var disable = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/sip_logins/{login}/disable", null);
        Assert.True(disable.IsSuccessStatusCode);
        var refused = await kiosk.FeePaidAsync("MAIN", card, "1.00", Usd);
        Assert.Equal("N", refused.FixedAt(0, 1));
        Assert.Equal("940", (await kiosk.LoginAsync(login, password)).Raw);
    }

    [Theory]
    [InlineData("11", "12", "0")]
    [InlineData("09", "10", "0")]
    [InlineData("29", "30", "0")]
    [InlineData("65", "66", "0")]
    [InlineData("17", "18", "0")]
    [InlineData("19", "20", "0")]
    [InlineData("25", "26", "Y")]
    [InlineData("15", "16", "0")]
    [InlineData("01", "24", "Y")]
    public async Task Requests_Fiscus_does_not_serve_get_their_negative_answer_on_an_open_connection(string request, string response, string negative)
    {
        var (kiosk, _, _) = await fiscus.KioskAsync(errorDetection: true);
        await using var _k = kiosk;
        var message = request switch
        {
            "11" => Sip2Requests.Checkout("MAIN", "P1", "I1"),
            "09" => Sip2Requests.Checkin("MAIN", "I1"),
            "29" => Sip2Requests.Renew("MAIN", "P1", "I1"),
            "65" => Sip2Requests.RenewAll("MAIN", "P1"),
            "17" => Sip2Requests.ItemInformation("MAIN", "I1"),
            "19" => Sip2Requests.ItemStatusUpdate("MAIN", "I1", "props"),
            "25" => Sip2Requests.PatronEnable("MAIN", "P1"),
            "15" => Sip2Requests.Hold("MAIN", "P1", "I1"),
            _ => Sip2Requests.BlockPatron("MAIN", "P1"),
        };
        var answer = await kiosk.SendAsync(message);
        Assert.Equal(response, answer.CommandId);
        Assert.Equal(negative, answer.FixedAt(0, 1));
        Assert.False(string.IsNullOrEmpty(answer.Field("AF")));
        // Still talking.
        Assert.Equal("98", (await kiosk.ScStatusAsync()).CommandId);
    }

    [Fact]
    public async Task Error_detection_asks_for_a_resend_on_a_bad_checksum_and_97_repeats_the_last_answer()
    {
        var (kiosk, _, _) = await fiscus.KioskAsync(errorDetection: true);
        await using var _k = kiosk;
        var status = await kiosk.ScStatusAsync();
        Assert.NotNull(status.Checksum);

        await kiosk.SendRawAsync("9900302.00AY5AZ0000\r");
        Assert.Equal("96AZFEF6", await kiosk.ReadRawAsync());
        var again = await kiosk.RequestAcsResendAsync();
        Assert.Equal(status.Raw, again.Raw);
        // An id SIP2 does not define gets no answer; the connection stays open.
        await kiosk.SendRawAsync("XXhello|\r");
        Assert.Equal("98", (await kiosk.ScStatusAsync()).CommandId);
    }

    [Fact]
    public async Task Garbage_half_messages_slow_senders_and_abrupt_disconnects_do_no_harm()
    {
        var register = await fiscus.RegisterAsync();
        var (login, password) = await fiscus.SipLoginAsync(register);
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 9m);

        // Garbage and binary noise: ignored, the connection answers afterwards.
        await using (var noisy = await fiscus.ConnectAsync())
        {
            await noisy.SendRawAsync(new byte[] { 0, 1, 2, 255, 254, 13, 10, 13 });
            await noisy.SendRawAsync("hello world\r|||\r\r");
            Assert.Equal("98", (await noisy.ScStatusAsync()).CommandId);
        }

        // Half a fee paid, then the kiosk goes away: nothing is paid.
        await using (var half = await fiscus.ConnectAsync())
        {
            Assert.Equal("941", (await half.LoginAsync(login, password)).Raw);
            await half.SendRawAsync(Sip2Requests.FeePaid("MAIN", card, "1.00", Usd, transactionId: "HALF")[..30]);
            half.Abort();
        }

        // A message longer than the limit closes the connection.
        await using (var oversize = await fiscus.ConnectAsync())
        {
            await oversize.SendRawAsync(new string('9', 2000));
            Assert.True(await oversize.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        }

        // A slow sender: byte by byte, within the idle timeout, is served; one that stalls is closed.
        await using (var slow = await fiscus.ConnectAsync())
        {
            await slow.SendSlowlyAsync(Encoding.ASCII.GetBytes("9900302.00\r"), TimeSpan.FromMilliseconds(50));
            Assert.StartsWith("98", await slow.ReadRawAsync(), StringComparison.Ordinal);
            await slow.SendRawAsync("9900");
            Assert.True(await slow.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
        }

        // A kiosk that drops the connection right after sending a whole fee paid: the payment is whole or absent, never half.
        for (var i = 0; i < 5; i++)
        {
            var dropper = await fiscus.ConnectAsync();
            Assert.Equal("941", (await dropper.LoginAsync(login, password)).Raw);
            await dropper.SendRawAsync(Sip2Requests.FeePaid("MAIN", card, "1.00", Usd, transactionId: $"DROP-{i}") + "\r");
            dropper.Abort();
            await dropper.DisposeAsync();
        }
        await Task.Delay(500);
        var paid = await fiscus.CountAsync("SELECT count(*) FROM account_lines WHERE patron_id = @patron AND credit_type_code = 'PAYMENT'", new { patron });
        Assert.Equal(9m - paid, await fiscus.BalanceAsync(patron));
        Assert.Equal(0, await fiscus.CountAsync("SELECT count(*) FROM account_lines WHERE external_id = 'HALF'"));

        // The server is still there.
        await using var after = await fiscus.ConnectAsync();
        Assert.Equal("941", (await after.LoginAsync(login, password)).Raw);
        await fiscus.AssertLedgerConsistentAsync();
    }

    static string StripErrorDetection(string raw)
    {
        var at = raw.LastIndexOf("AY", StringComparison.Ordinal);
        return at >= 0 && raw.Length - at == 9 ? raw[..at] : raw;
    }
}

public sealed class Sip2GuessingTests(Sip2Fixture fiscus) : IClassFixture<Sip2Fixture>
{
    [Fact]
    public async Task A_patrons_PIN_cannot_be_walked_five_wrong_guesses_stop_the_checking()
    {
        var (kiosk, _, _) = await fiscus.KioskAsync(new { patron_password = "required" });
        await using var _k = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync("2468", "MAIN", 5m);

        for (var guess = 0; guess < Fiscus.Server.Sip2.Sip2LoginThrottle.MaxWrongPins; guess++)
        {
            Assert.Equal("N", (await kiosk.PatronStatusAsync("MAIN", card, $"000{guess}")).Field("CQ"));
        }
        // The right PIN now fails too, and pays nothing, until the window has passed.
        Assert.Equal("N", (await kiosk.PatronStatusAsync("MAIN", card, "2468")).Field("CQ"));
        Assert.Equal("N", (await kiosk.FeePaidAsync("MAIN", card, "1.00", Sip2Fixture.Currency, patronPassword: "2468")).FixedAt(0, 1));
        Assert.Equal(5m, await fiscus.BalanceAsync(patron));
        fiscus.Clock.Advance(Fiscus.Server.Sip2.Sip2LoginThrottle.PinWindow);
        Assert.Equal("Y", (await kiosk.PatronStatusAsync("MAIN", card, "2468")).Field("CQ"));
    }

    [Fact]
    public void Failed_logins_from_one_address_stop_being_checked_for_the_minute()
    {
        var clock = new TestClock();
        var throttle = new Fiscus.Server.Sip2.Sip2LoginThrottle(clock);
        for (var i = 0; i < Fiscus.Server.Sip2.Sip2LoginThrottle.MaxFailedLogins; i++)
        {
            Assert.False(throttle.IsBlocked("10.0.0.7"));
            throttle.Failed("10.0.0.7");
        }
        Assert.True(throttle.IsBlocked("10.0.0.7"));
        Assert.False(throttle.IsBlocked("10.0.0.8"));
        clock.Advance(Fiscus.Server.Sip2.Sip2LoginThrottle.LoginWindow);
        Assert.False(throttle.IsBlocked("10.0.0.7"));
    }
}

/// <summary>Two Fiscus instances on one database, as behind a TCP load balancer: a kiosk's retry may reach the other one.</summary>
public sealed class Sip2TwoInstancesTests(Sip2Fixture fiscus) : IClassFixture<Sip2Fixture>
{
    [Fact]
    public async Task A_fee_paid_retried_on_another_instance_pays_once_and_gets_the_same_38()
    {
        await using var other = new FiscusFactory(fiscus.Factory.Database, new Dictionary<string, string?>
        {
            [Fiscus.Server.Sip2.Sip2Options.UrlsSetting] = "tcp://127.0.0.1:0",
        });
        var otherPort = other.Services.GetRequiredService<Fiscus.Server.Sip2.Sip2Server>().BoundEndPoints[0].Port;
        var register = await fiscus.RegisterAsync();
        var (login, password) = await fiscus.SipLoginAsync(register);
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 10m);

        await using var first = await fiscus.ConnectAsync();
        Assert.Equal("941", (await first.LoginAsync(login, password)).Raw);
        var answer = await first.FeePaidAsync("MAIN", card, "4.00", Sip2Fixture.Currency, transactionId: "LB-1");
        Assert.Equal("Y", answer.FixedAt(0, 1));

        await using var second = await Sip2Client.ConnectAsync("127.0.0.1", otherPort);
        Assert.Equal("941", (await second.LoginAsync(login, password)).Raw);
        var retry = await second.FeePaidAsync("MAIN", card, "4.00", Sip2Fixture.Currency, transactionId: "LB-1");
        Assert.Equal(answer.Raw, retry.Raw);

        // Both at once, on both instances, with a new BK: one payment.
        var racing = await Task.WhenAll(
            first.FeePaidAsync("MAIN", card, "1.00", Sip2Fixture.Currency, transactionId: "LB-2"),
            second.FeePaidAsync("MAIN", card, "1.00", Sip2Fixture.Currency, transactionId: "LB-2"));
        Assert.Equal(racing[0].Raw, racing[1].Raw);
        Assert.Equal(5m, await fiscus.BalanceAsync(patron));
        Assert.Equal(2, await fiscus.ScalarAsync<long>(
            "SELECT count(*) FROM account_lines WHERE patron_id = @patron AND credit_type_code = 'PAYMENT'", new { patron }));
    }
}
