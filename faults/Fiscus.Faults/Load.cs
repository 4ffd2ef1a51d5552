using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fiscus.Faults;

/// <summary>One payment attempt as the client saw it: status 0 is no answer (connection refused or broken), -1 abandoned by us.</summary>
sealed record Outcome(string Kind, string Key, long Patron, string Url, int Status, string? Code, long? Credit, long AnsweredMs);

/// <summary>
/// Payments (the atomic charge-and-pay intake) from many clients at once, each with a fresh Idempotency-Key that is also its
/// external_id, against one or more instances; every outcome is appended to the log as it comes, so a fault that kills
/// this process too loses nothing already seen. With --race, each payment goes to every instance at once (twins);
/// --abandon N gives up on N % of requests after a few milliseconds; --cashups URL cashes register 1 up every second;
/// --trickle N keeps N connections sending a payment's request a byte a second (headers, then body), reopening each one
/// the server closes, all along.
/// </summary>
static class Load
{
    public static async Task<int> RunAsync(Arguments options)
    {
        var state = JsonSerializer.Deserialize<State>(await File.ReadAllTextAsync(options.Get("--state")))!;
        var urls = options.Get("--urls").Split(',');
        var seconds = options.Int("--seconds", 20);
        var race = options.Flag("--race");
        var abandon = options.Int("--abandon", 0);
        await using var log = new StreamWriter(options.Get("--log"), append: true) { AutoFlush = true };
        var gate = new SemaphoreSlim(1, 1);
        async Task WriteAsync(Outcome outcome)
        {
            await gate.WaitAsync();
            try
            {
                await log.WriteLineAsync(JsonSerializer.Serialize(outcome));
            }
            finally
            {
                gate.Release();
            }
        }

        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(2) }) { Timeout = TimeSpan.FromSeconds(60) };
        var until = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.Int("--clients", 16)).Select(async worker =>
        {
            var random = new Random(worker * 7919 + Environment.ProcessId);
            while (until.Elapsed.TotalSeconds < seconds)
            {
                var key = Guid.NewGuid().ToString("N");
                var patron = state.Patrons[random.Next(state.Patrons.Length)];
                var targets = race ? urls : [urls[random.Next(urls.Length)]];
                var giveUp = abandon > 0 && random.Next(100) < abandon ? TimeSpan.FromMilliseconds(random.Next(1, 30)) : (TimeSpan?)null;
                var answers = await Task.WhenAll(targets.Select(async url =>
                {
                    var outcome = await PayAsync(http, url, state.Token, key, patron, giveUp);
                    await WriteAsync(outcome);
                    return outcome;
                }));
                // A real client waits before trying again when nobody answers or the service says so.
                if (answers.Any(a => a.Status is 0 or 503))
                {
                    await Task.Delay(random.Next(200, 400));
                }
                else if (targets.Length == 1 && random.Next(10) == 0)
                {
                    await Task.Delay(random.Next(1, 20));
                }
            }
        }).ToList();
        var trickles = options.Int("--trickle", 0);
        var trickled = 0;
        var closedByServer = 0;
        for (var i = 0; i < trickles; i++)
        {
            var url = new Uri(urls[i % urls.Length]);
            workers.Add(Task.Run(async () =>
            {
                while (until.Elapsed.TotalSeconds < seconds)
                {
                    Interlocked.Increment(ref trickled);
                    if (await TrickleAsync(url, state.Token, () => until.Elapsed.TotalSeconds >= seconds))
                    {
                        Interlocked.Increment(ref closedByServer);
                    }
                }
            }));
        }
        if (options.Get("--cashups", "") is { Length: > 0 } cashups)
        {
            workers.Add(Task.Run(async () =>
            {
                while (until.Elapsed.TotalSeconds < seconds)
                {
                    await WriteAsync(await CashUpAsync(http, cashups, state.AdminToken));
                    await Task.Delay(1000);
                }
            }));
        }
        await Task.WhenAll(workers);
        if (trickles > 0)
        {
            Console.WriteLine($"  trickling connections: {trickled} opened by {trickles} clients, {closedByServer} closed by the server");
        }
        return 0;
    }

    /// <summary>What every payment pays: 0.25 in a currency of two decimals (the suite's installation is USD).</summary>
    public const long AmountMinor = 25;

    /// <summary>A request sent a byte a second until the server closes the connection (true) or the load ends (false).</summary>
    static async Task<bool> TrickleAsync(Uri url, string token, Func<bool> over)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(url.Host, url.Port);
            var request = System.Text.Encoding.ASCII.GetBytes(
                $"POST /api/v1/patrons/1/account/payments HTTP/1.1\r\nHost: {url.Authority}\r\nAuthorization: Bearer {token}\r\n" +
                "Content-Type: application/json\r\nContent-Length: 90\r\n\r\n" +
                "{\"debit_type\": \"PRINT\", \"amount\": 0.25, \"payment_type\": \"CASH\", \"register_id\": 1}");
            foreach (var b in request)
            {
                if (over())
                {
                    return false;
                }
                await socket.SendAsync(new[] { b }, System.Net.Sockets.SocketFlags.None);
                await Task.Delay(1000);
            }
            return false;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            await Task.Delay(500);
            return true;
        }
    }

    public static async Task<Outcome> PayAsync(HttpClient http, string url, string token, string key, long patron, TimeSpan? giveUp = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{url}/api/v1/patrons/{patron}/account/payments")
        {
            Content = JsonContent.Create(new { debit_type = "PRINT", amount = 0.25m, payment_type = "CASH", register_id = 1, external_id = key }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Idempotency-Key", key);
        using var cancel = giveUp is { } after ? new CancellationTokenSource(after) : new CancellationTokenSource();
        try
        {
            using var response = await http.SendAsync(request, cancel.Token);
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            JsonNode? json = null;
            try
            {
                json = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
            }
            return new Outcome("payment", key, patron, url, (int)response.StatusCode, json?["code"]?.GetValue<string>(),
                json?["credit"]?["account_line_id"]?.GetValue<long>(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new Outcome("payment", key, patron, url, -1, "abandoned", null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return new Outcome("payment", key, patron, url, 0, "no_answer", null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
    }

    static async Task<Outcome> CashUpAsync(HttpClient http, string url, string adminToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{url}/api/v1/cash_registers/1/cashups")
        {
            // Counted as nothing: the takings become a deficit line with this note, money the ledger must keep straight too.
            Content = JsonContent.Create(new { reconciliations = new[] { new { payment_type = "CASH", counted = 0m, note = "fault suite" } }, note = "fault suite" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        try
        {
            using var response = await http.SendAsync(request);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            return new Outcome("cashup", "", 0, url, (int)response.StatusCode, json?["code"]?.GetValue<string>(), null,
                DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or JsonException)
        {
            return new Outcome("cashup", "", 0, url, 0, "no_answer", null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
    }
}
