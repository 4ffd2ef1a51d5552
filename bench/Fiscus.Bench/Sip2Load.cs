using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// SIP2 Fee Paid (37) round trips with N concurrent kiosks, beside the same payment over HTTP in the same run. Started by
/// bench/sip2. Sets up through the REST API as the admin: P patrons each owing a debt no run pays off, and per kiosk a
/// register and a SIP login bound to it; per HTTP worker a register and an API client bound to it. Then, for each kiosk
/// count: N kiosks, one TCP connection and one 93 login each, send 37s back to back (a random patron, 0.01 to 1.00,
/// payment type 00, no fee identifier so the oldest debt is paid, a unique BK) and time each 38; then N HTTP workers
/// POST the same PAYMENT (.../account/credits, SIP00, the same amounts) with an Idempotency-Key, as SIP's BK is one.
/// The SIP2 framing is written here from the spec, not taken from the server.
/// </summary>
static class Sip2Load
{
    const string Library = "MAIN";
    /// <summary>What each patron owes at the start, in major units: at 1.00 a payment at most, no run pays it off.</summary>
    const decimal DebtMajor = 100_000m;
    static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);
    /// <summary>
    /// The first warm-up is longer: with 2 s, one kiosk's first run straight after the set-up took 37 payments/s and its next
    /// two 79 and 64 (the SIP2 path still being compiled, the set-up's rows being sealed, on a busy machine).
    /// </summary>
    static readonly TimeSpan FirstWarmUp = TimeSpan.FromSeconds(10);
    static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);
    static int complaints;

    sealed record Patron(long Id, string Cardnumber);
    sealed record SipAccount(string Login, string Password);
    sealed record Money(string Code, int Exponent)
    {
        public int Unit { get; } = (int)Math.Pow(10, Exponent);
        public string Major(long minor) => (minor / (decimal)Unit).ToString("F" + Exponent.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>What one phase of one way in got: latencies of the first-try successes, and everything else counted.</summary>
    sealed class Tally
    {
        public List<double> Latencies { get; } = [];
        public long Paid { get; set; }
        public long PaidMinor { get; set; }
        public int Refused { get; set; }
        public int Unexpected { get; set; }
        public int Reconnects { get; set; }
        public int Abandoned { get; set; }
        public TimeSpan Elapsed { get; set; }
        readonly Lock gate = new();

        public void Add(Tally other)
        {
            lock (gate)
            {
                Latencies.AddRange(other.Latencies);
                Paid += other.Paid;
                PaidMinor += other.PaidMinor;
                Refused += other.Refused;
                Unexpected += other.Unexpected;
                Reconnects += other.Reconnects;
                Abandoned += other.Abandoned;
            }
        }

        public int Failures => Refused + Unexpected + Reconnects + Abandoned;
        public double Rate => Paid / Elapsed.TotalSeconds;

        public double Percentile(double p)
        {
            Latencies.Sort();
            return Latencies.Count == 0 ? 0 : Latencies[Math.Min(Latencies.Count - 1, (int)Math.Ceiling(p * Latencies.Count) - 1)];
        }
    }

    public static async Task<int> RunAsync(string[] args, Options options)
    {
        var sipHost = Value(args, "--sip-host", "127.0.0.1");
        var sipPort = int.Parse(Value(args, "--sip-port", "6090"), CultureInfo.InvariantCulture);
        var kioskCounts = Value(args, "--kiosks", "1,8,32").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        var most = kioskCounts.Max();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = most + 16, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(options.Url),
            Timeout = AnswerTimeout,
        };

        var setup = Stopwatch.StartNew();
        var admin = await BenchApi.LoginAsync(http, options.Password);
        var currency = (await BenchApi.GetAsync(http, admin, "/api/v1/installation"))["currency"]!;
        var money = new Money(currency["code"]!.GetValue<string>(), currency["exponent"]!.GetValue<int>());
        var patrons = await PatronsAsync(http, admin, options.Patrons);
        var kiosks = new SipAccount[most];
        var httpTokens = new string[most];
        for (var i = 0; i < most; i++)
        {
            var sipRegister = await RegisterAsync(http, admin, F($"SIP kiosk {i + 1}"));
            kiosks[i] = new SipAccount(F($"bench-kiosk{i + 1}"), F($"sip2-bench-{Guid.NewGuid():N}"));
            await BenchApi.PostAsync(http, admin, "/api/v1/sip_logins",
                new { login = kiosks[i].Login, password = kiosks[i].Password, library_id = Library, cash_register_id = sipRegister });
            httpTokens[i] = (await BenchApi.KioskClientAsync(http, admin, await RegisterAsync(http, admin, F($"HTTP kiosk {i + 1}")))).Token;
        }

        Console.WriteLine(F($"SIP2 Fee Paid benchmark: SIP2 at {sipHost}:{sipPort}, HTTP at {options.Url}, {options.Seconds} s a run after {WarmUp.TotalSeconds} s of warm-up ({FirstWarmUp.TotalSeconds} s before the first)"));
        Console.WriteLine(F($"  set up in {setup.Elapsed.TotalSeconds:F1} s: {patrons.Length} patrons owing {DebtMajor:F2} {money.Code} each; per kiosk a register and a SIP login, per HTTP worker a register and a bound API client"));
        Console.WriteLine(F($"  payments 0.01 to 1.00 {money.Code} to a random patron; SIP2: 37 with payment type 00 and a unique BK; HTTP: POST .../account/credits PAYMENT SIP00 with an Idempotency-Key"));
        var sipTotal = new Tally();
        var httpTotal = new Tally();
        var rows = new List<string>();
        foreach (var (round, count) in kioskCounts.Index())
        {
            var connected = await Task.WhenAll(kiosks.Take(count).Select(async k =>
            {
                var kiosk = new SipKiosk(sipHost, sipPort, k);
                await kiosk.ConnectAsync(CancellationToken.None);
                return kiosk;
            }));
            try
            {
                var warmUp = round == 0 ? FirstWarmUp : WarmUp;
                sipTotal.Add(await SipPhaseAsync(connected, patrons, money, warmUp, F($"{round + 1}w")));
                var sip = await SipPhaseAsync(connected, patrons, money, TimeSpan.FromSeconds(options.Seconds), F($"{round + 1}r"));
                sipTotal.Add(sip);
                httpTotal.Add(await HttpPhaseAsync(http, httpTokens.Take(count).ToArray(), patrons, money, warmUp));
                var overHttp = await HttpPhaseAsync(http, httpTokens.Take(count).ToArray(), patrons, money, TimeSpan.FromSeconds(options.Seconds));
                httpTotal.Add(overHttp);
                Console.WriteLine(F($"  {count} kiosks: SIP2 {sip.Latencies.Count} x 38Y, {Trouble(sip)}; HTTP {overHttp.Latencies.Count} x 201, {Trouble(overHttp)}"));
                rows.Add(F($"  {count,6} {sip.Rate,11:F1} {sip.Percentile(0.50),7:F1} {sip.Percentile(0.99),7:F1} {sip.Percentile(1),7:F1}   {overHttp.Rate,12:F1} {overHttp.Percentile(0.50),7:F1} {overHttp.Percentile(0.99),7:F1} {overHttp.Percentile(1),7:F1}"));
            }
            finally
            {
                foreach (var kiosk in connected)
                {
                    kiosk.Dispose();
                }
            }
        }

        Console.WriteLine(F($"  {"kiosks",6} {"SIP2 38Y/s",11} {"p50 ms",7} {"p99 ms",7} {"max ms",7}   {"HTTP paid/s",12} {"p50 ms",7} {"p99 ms",7} {"max ms",7}"));
        rows.ForEach(Console.WriteLine);
        // Warm-ups and answers after a reconnect included: what bench/sip2 checks against the payments in the database.
        Console.WriteLine(F($"sip2 total: {sipTotal.Paid} {sipTotal.PaidMinor}"));
        Console.WriteLine(F($"http total: {httpTotal.Paid} {httpTotal.PaidMinor}"));
        return sipTotal.Failures + httpTotal.Failures == 0 ? 0 : 1;
    }

    /// <summary>The first few things that went wrong, as they happen (the tallies count them all).</summary>
    static async Task ComplainAsync(string what)
    {
        if (Interlocked.Increment(ref complaints) <= 10)
        {
            await Console.Error.WriteLineAsync(what);
        }
    }

    static string Trouble(Tally tally) => tally.Failures == 0
        ? "no refusals, no reconnects"
        : F($"{tally.Refused} refused, {tally.Unexpected} unexpected answers, {tally.Reconnects} reconnects, {tally.Abandoned} abandoned");

    /// <summary>
    /// <paramref name="workers"/> loops side by side, each sending its next request when the last is answered, until
    /// <paramref name="duration"/> is up (or it gave up); each counts into a tally of its own, all merged at the end.
    /// </summary>
    static async Task<Tally> PhaseAsync(int workers, TimeSpan duration, Func<int, int, Tally, Task> roundTrip)
    {
        var total = new Tally();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var mine = new Tally();
            for (var sequence = 0; clock.Elapsed < duration && mine.Abandoned == 0; sequence++)
            {
                await roundTrip(worker, sequence, mine);
            }
            total.Add(mine);
        })));
        total.Elapsed = clock.Elapsed;
        return total;
    }

    /// <summary>Each kiosk sends 37s back to back; a lost connection is reconnected and the same 37 sent again.</summary>
    static Task<Tally> SipPhaseAsync(SipKiosk[] kiosks, Patron[] patrons, Money money, TimeSpan duration, string phase) =>
        PhaseAsync(kiosks.Length, duration, async (worker, sequence, mine) =>
        {
            var kiosk = kiosks[worker];
            var patron = patrons[Random.Shared.Next(patrons.Length)];
            var amountMinor = Random.Shared.Next(1, money.Unit + 1);
            var bk = F($"{phase}-{worker + 1}-{sequence}");
            var message = F($"37{DateTime.Now:yyyyMMdd    HHmmss}0100{money.Code}BV{money.Major(amountMinor)}|AO{Library}|AA{patron.Cardnumber}|BK{bk}|");
            var started = Stopwatch.GetTimestamp();
            var (answer, retried) = await AskRetryingAsync(kiosk, message, mine);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (answer is null)
            {
                return;
            }
            if (answer.StartsWith("38Y", StringComparison.Ordinal) && answer.Contains(F($"|BK{bk}|"), StringComparison.Ordinal))
            {
                mine.Paid++;
                mine.PaidMinor += amountMinor;
                if (!retried)
                {
                    mine.Latencies.Add(ms);
                }
                return;
            }
            if (answer.StartsWith("38N", StringComparison.Ordinal))
            {
                mine.Refused++;
            }
            else
            {
                mine.Unexpected++;
            }
            await ComplainAsync(F($"  kiosk {kiosk.Login}: sent {message}\n    got {answer}"));
        });

    /// <summary>
    /// Sends a 37 and reads its 38; on a lost connection or no answer within <see cref="AnswerTimeout"/>, reconnects and
    /// sends the same message (the same BK) again, as a kiosk does, up to three times. Null when it gave up.
    /// </summary>
    static async Task<(string? Answer, bool Retried)> AskRetryingAsync(SipKiosk kiosk, string message, Tally tally)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (attempt > 0)
                {
                    await kiosk.ConnectAsync(CancellationToken.None);
                }
                using var timeout = new CancellationTokenSource(AnswerTimeout);
                return (await kiosk.AskAsync(message, timeout.Token), attempt > 0);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                tally.Reconnects++;
                await ComplainAsync(F($"  kiosk {kiosk.Login}: {e.GetType().Name}: {e.Message} (attempt {attempt + 1}, reconnecting)"));
                if (attempt == 3)
                {
                    tally.Abandoned++;
                    return (null, true);
                }
            }
        }
    }

    static Task<Tally> HttpPhaseAsync(HttpClient http, string[] tokens, Patron[] patrons, Money money, TimeSpan duration) =>
        PhaseAsync(tokens.Length, duration, async (worker, _, mine) =>
        {
            var patron = patrons[Random.Shared.Next(patrons.Length)];
            var amountMinor = Random.Shared.Next(1, money.Unit + 1);
            using var request = new HttpRequestMessage(HttpMethod.Post, F($"/api/v1/patrons/{patron.Id}/account/credits"))
            {
                Content = JsonContent.Create(new { amount = amountMinor / (decimal)money.Unit, payment_type = "SIP00" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[worker]);
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode == System.Net.HttpStatusCode.Created)
            {
                mine.Paid++;
                mine.PaidMinor += amountMinor;
                mine.Latencies.Add(ms);
                return;
            }
            mine.Refused++;
            await ComplainAsync(F($"  HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}"));
        });

    static async Task<Patron[]> PatronsAsync(HttpClient http, string admin, int count)
    {
        var patrons = new Patron[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var cardnumber = F($"sip2bench-{i}-{Guid.NewGuid():N}")[..30];
            var id = (await BenchApi.PostAsync(http, admin, "/api/v1/patrons", new { cardnumber, surname = "Bench", library_id = Library }))["patron_id"]!
                .GetValue<long>();
            await BenchApi.PostAsync(http, admin, F($"/api/v1/patrons/{id}/account/debits"),
                new { amount = DebtMajor, type = "MANUAL", description = "SIP2 benchmark debt" });
            patrons[i] = new Patron(id, cardnumber);
        });
        return patrons;
    }

    static async Task<int> RegisterAsync(HttpClient http, string admin, string name) =>
        (await BenchApi.PostAsync(http, admin, "/api/v1/cash_registers", new { name, library_id = Library }))["cash_register_id"]!.GetValue<int>();

    static string Value(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One kiosk's connection: SIP2 messages end with CR (an LF after it is skipped), one answer per request.</summary>
    sealed class SipKiosk(string host, int port, SipAccount account) : IDisposable
    {
        readonly byte[] buffer = new byte[16 * 1024];
        TcpClient? tcp;
        NetworkStream? stream;
        int start;
        int end;

        public string Login => account.Login;

        /// <summary>(Re)connects and logs in with 93; anything but 941 throws.</summary>
        public async Task ConnectAsync(CancellationToken cancellationToken)
        {
            Dispose();
            tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(host, port, cancellationToken);
            stream = tcp.GetStream();
            start = end = 0;
            var answer = await AskAsync(F($"9300CN{account.Login}|CO{account.Password}|"), cancellationToken);
            if (!answer.StartsWith("941", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(F($"SIP login {account.Login} refused: {answer}"));
            }
        }

        public async Task<string> AskAsync(string message, CancellationToken cancellationToken)
        {
            await stream!.WriteAsync(Encoding.UTF8.GetBytes(message + "\r"), cancellationToken);
            while (true)
            {
                var cr = Array.IndexOf(buffer, (byte)'\r', start, end - start);
                if (cr >= 0)
                {
                    var answer = Encoding.UTF8.GetString(buffer, start, cr - start).TrimStart('\n');
                    start = cr + 1;
                    return answer;
                }
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length)
                {
                    throw new IOException("an answer longer than 16 KiB without a CR");
                }
                var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
                if (read == 0)
                {
                    throw new IOException("the server closed the connection");
                }
                end += read;
            }
        }

        public void Dispose()
        {
            stream?.Dispose();
            tcp?.Dispose();
            stream = null;
            tcp = null;
        }
    }
}
