using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

/// <summary>
/// What a flood of HTTP Basic requests does to everyone else: the latency of one unrelated client (a bearer token,
/// GET /api/v1/cash_registers back to back) alone, then while N parallel clients send Basic credentials as fast as
/// they can, once with wrong passwords (a guesser: a password hash each) and once with a valid one (a busy
/// integration). Started by bench/basic-flood.
/// </summary>
static class BasicFlood
{
    const string Path = "/api/v1/cash_registers";

    public static async Task<int> RunAsync(Options options)
    {
        using var setup = new HttpClient { BaseAddress = new Uri(options.Url), Timeout = TimeSpan.FromSeconds(30) };
        var token = await BenchApi.LoginAsync(setup, options.Password);
        var (username, password) = await IntegrationUserAsync(setup, token);

        Console.WriteLine(F($"Basic flood benchmark: {options.Url}, probe = 1 bearer client GET {Path} back to back, {options.Seconds} s a scenario"));
        Console.WriteLine(F($"  flood = {options.Clients} parallel clients GET {Path} with Basic credentials"));
        Console.WriteLine(F($"  {"scenario",-28} {"probe p50",10} {"probe p99",10} {"probes",7}   {"flood req/s",11}   flood answers"));
        await ScenarioAsync(options, token, "warm-up (not a result)", null, quiet: true);
        await ScenarioAsync(options, token, "probe alone", null);
        await ScenarioAsync(options, token, "flood, valid password", (worker, sequence) => (username, password));
        await ScenarioAsync(options, token, "flood, wrong passwords", (worker, sequence) => (username, F($"wrong-{worker}-{sequence}")));
        return 0;
    }

    static async Task ScenarioAsync(Options options, string token, string name, Func<int, int, (string, string)>? credentials, bool quiet = false)
    {
        using var stop = new CancellationTokenSource();
        var answers = new ConcurrentDictionary<int, int>();
        var flooded = 0;
        using var floodHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients * 2 })
        {
            BaseAddress = new Uri(options.Url),
            Timeout = TimeSpan.FromSeconds(60),
        };
        var flood = credentials is null ? [] : Enumerable.Range(0, options.Clients).Select(worker => Task.Run(async () =>
        {
            for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
            {
                var (user, secret) = credentials(worker, sequence);
                using var request = new HttpRequestMessage(HttpMethod.Get, Path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));
                try
                {
                    using var response = await floodHttp.SendAsync(request, stop.Token);
                    answers.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    Interlocked.Increment(ref flooded);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
            }
        })).ToArray();

        using var probeHttp = new HttpClient { BaseAddress = new Uri(options.Url), Timeout = TimeSpan.FromSeconds(60) };
        probeHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(quiet ? 2 : options.Seconds))
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await probeHttp.GetAsync(Path);
            response.EnsureSuccessStatusCode();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(flood);
        if (quiet)
        {
            return;
        }
        latencies.Sort();
        double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
        var rate = credentials is null ? "-" : F($"{flooded / elapsed.TotalSeconds:F1}");
        var statuses = string.Join(", ", answers.OrderBy(a => a.Key).Select(a => F($"{a.Value} x {a.Key}")));
        Console.WriteLine(F($"  {name,-28} {Percentile(0.50),7:F1} ms {Percentile(0.99),7:F1} ms {latencies.Count,7}   {rate,11}   {(statuses.Length == 0 ? "-" : statuses)}"));
    }

    /// <summary>A manager for the Basic clients, so that the flood's username is not the admin the probe signed in as.</summary>
    static async Task<(string Username, string Password)> IntegrationUserAsync(HttpClient http, string token)
    {
        var username = F($"flood{Guid.NewGuid():N}")[..20];
        var password = F($"bench-{Guid.NewGuid():N}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/users")
        {
            Content = JsonContent.Create(new { username, password, role = "manager" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (username, password);
    }

    static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
