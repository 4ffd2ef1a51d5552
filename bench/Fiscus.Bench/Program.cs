using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

// Drives POST /api/v1/patrons/{id}/account/payments (atomic charge-and-pay intake) on a running Fiscus with
// N concurrent clients for a fixed time, and prints payments per second and latency percentiles.
//
//   dotnet Fiscus.Bench.dll --url http://127.0.0.1:5090 --password <admin password> [--clients 16] [--seconds 10] [--patrons 64]
//   dotnet Fiscus.Bench.dll basic-flood --url ... --password ... [--clients 32] [--seconds 10]   (see BasicFlood.cs)
//   dotnet Fiscus.Bench.dll sip2 --url ... --password ... --sip-host H --sip-port P [--kiosks 1,8,32] [--seconds 10] [--patrons 1000]   (see Sip2Load.cs)

var options = Options.Parse(args);
if (args is ["basic-flood", ..])
{
    return await BasicFlood.RunAsync(options);
}
if (args is ["sip2", ..])
{
    return await Sip2Load.RunAsync(args, options);
}
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = new Uri(options.Url),
    Timeout = TimeSpan.FromSeconds(30),
};

var adminToken = await BenchApi.LoginAsync(http, options.Password);
var (kioskToken, clientId) = await BenchApi.KioskClientAsync(http, adminToken, 1);
var patrons = await PatronsAsync(http, adminToken, options.Patrons);

Console.WriteLine("Fiscus payment intake benchmark");
Console.WriteLine(Invariant($"  target:     {options.Url}  ({options.Clients} concurrent clients, {options.Seconds} s, {options.Patrons} patrons, kiosk {clientId})"));

// A short warm-up so JIT and connection set-up are not measured.
await RunAsync(http, kioskToken, patrons, options.Clients, TimeSpan.FromSeconds(2), "warmup");
var (latencies, failures, elapsed) = await RunAsync(http, kioskToken, patrons, options.Clients, TimeSpan.FromSeconds(options.Seconds), "run");

latencies.Sort();
double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
Console.WriteLine(Invariant($"  payments:   {latencies.Count} recorded, {failures} failed"));
Console.WriteLine(Invariant($"  throughput: {latencies.Count / elapsed.TotalSeconds:F1} payments/s"));
Console.WriteLine(Invariant($"  latency:    p50 {Percentile(0.50):F2} ms   p90 {Percentile(0.90):F2} ms   p99 {Percentile(0.99):F2} ms   max {(latencies.Count > 0 ? latencies[^1] : 0):F2} ms"));
return failures == 0 ? 0 : 1;

static async Task<(List<double> Latencies, int Failures, TimeSpan Elapsed)> RunAsync(
    HttpClient http, string token, long[] patrons, int clients, TimeSpan duration, string phase)
{
    var latencies = new List<double>();
    var failures = 0;
    var deadline = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, clients).Select(worker => Task.Run(async () =>
    {
        var mine = new List<double>();
        var failed = 0;
        var sequence = 0;
        while (deadline.Elapsed < duration)
        {
            var patron = patrons[(worker + sequence * clients) % patrons.Length];
            using var request = new HttpRequestMessage(HttpMethod.Post, Invariant($"/api/v1/patrons/{patron}/account/payments"))
            {
                Content = JsonContent.Create(new
                {
                    debit_type = "PRINT",
                    amount = 2.50m,
                    payment_type = "CASH",
                    description = "Benchmark print job",
                    external_id = Invariant($"{phase}-{worker}-{sequence++}-{Guid.NewGuid():N}"),
                }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode == System.Net.HttpStatusCode.Created)
            {
                mine.Add(ms);
            }
            else
            {
                failed++;
                if (failed <= 3)
                {
                    await Console.Error.WriteLineAsync(Invariant($"  {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}"));
                }
            }
        }
        lock (latencies)
        {
            latencies.AddRange(mine);
            failures += failed;
        }
    })).ToList();
    await Task.WhenAll(workers);
    return (latencies, failures, deadline.Elapsed);
}

static async Task<long[]> PatronsAsync(HttpClient http, string adminToken, int count)
{
    var ids = new long[count];
    for (var i = 0; i < count; i++)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/patrons")
        {
            Content = JsonContent.Create(new { cardnumber = $"bench-{Guid.NewGuid():N}"[..30], surname = "Bench", library_id = "MAIN" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        ids[i] = (await response.Content.ReadFromJsonAsync<JsonNode>())!["patron_id"]!.GetValue<long>();
    }
    return ids;
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

sealed record Options(string Url, string Password, int Clients, int Seconds, int Patrons)
{
    public static Options Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
        }
        return new Options(
            Value("--url", "http://127.0.0.1:5080"),
            Value("--password", Environment.GetEnvironmentVariable("FISCUS_ADMIN_PASSWORD") ?? ""),
            int.Parse(Value("--clients", "16"), CultureInfo.InvariantCulture),
            int.Parse(Value("--seconds", "10"), CultureInfo.InvariantCulture),
            int.Parse(Value("--patrons", "64"), CultureInfo.InvariantCulture));
    }
}
