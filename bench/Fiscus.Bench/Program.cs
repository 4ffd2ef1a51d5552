using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

// Drives Fiscus's two money writes under load — POST /api/v1/patrons/{id}/account/payments (the atomic charge-and-pay
// intake, spread over --patrons patrons) and POST /api/v1/cash_registers/1/sales (a counter sale with no patron) — with
// each client count in turn, for a fixed time each, and prints payments per second and latency percentiles; a last line
// per run, "RESULT what clients rate p50 p99 failures", is for bench/run's table.
//
//   dotnet Fiscus.Bench.dll --url http://127.0.0.1:5090 --password <admin password> [--clients 1,8,32] [--seconds 10] [--patrons 1000]
//                           [--what intake,sale]
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
if (options.What.Any(w => w is not ("intake" or "sale")) || options.ClientCounts.Any(c => c < 1))
{
    Console.Error.WriteLine($"--what takes intake and/or sale (given: {string.Join(',', options.What)}); --clients counts from 1");
    return 2;
}
var most = options.ClientCounts.Max();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = most * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = new Uri(options.Url),
    Timeout = TimeSpan.FromSeconds(30),
};

var adminToken = await BenchApi.LoginAsync(http, options.Password);
var (kioskToken, clientId) = await BenchApi.KioskClientAsync(http, adminToken, 1, "payments:write", "sales:write");
var patrons = options.What.Contains("intake") ? await PatronsAsync(http, adminToken, options.Patrons) : [];

var failed = false;
foreach (var what in options.What)
{
    foreach (var clients in options.ClientCounts)
    {
        Console.WriteLine(Invariant($"Fiscus {(what == "sale" ? "counter sale (POST /api/v1/cash_registers/1/sales, no patron)" : "payment intake (POST /api/v1/patrons/{id}/account/payments)")}"));
        Console.WriteLine(Invariant($"  target:     {options.Url}  ({clients} concurrent clients, {options.Seconds} s, {(what == "sale" ? "one register" : Invariant($"{options.Patrons} patrons"))}, kiosk {clientId})"));
        // A short warm-up so JIT, connection set-up and the statements' plans are not measured.
        await RunAsync(http, kioskToken, what, patrons, clients, TimeSpan.FromSeconds(2), "warmup");
        var (latencies, failures, elapsed) = await RunAsync(http, kioskToken, what, patrons, clients, TimeSpan.FromSeconds(options.Seconds), "run");
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
        var rate = latencies.Count / elapsed.TotalSeconds;
        Console.WriteLine(Invariant($"  payments:   {latencies.Count} recorded, {failures} failed"));
        Console.WriteLine(Invariant($"  throughput: {rate:F1} payments/s"));
        Console.WriteLine(Invariant($"  latency:    p50 {Percentile(0.50):F2} ms   p90 {Percentile(0.90):F2} ms   p99 {Percentile(0.99):F2} ms   max {(latencies.Count > 0 ? latencies[^1] : 0):F2} ms"));
        Console.WriteLine(Invariant($"RESULT {what} {clients} {rate:F1} {Percentile(0.50):F2} {Percentile(0.99):F2} {failures}"));
        failed |= failures > 0;
    }
}
return failed ? 1 : 0;

static async Task<(List<double> Latencies, int Failures, TimeSpan Elapsed)> RunAsync(
    HttpClient http, string token, string what, long[] patrons, int clients, TimeSpan duration, string phase)
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
            var externalId = Invariant($"{phase}-{worker}-{sequence}-{Guid.NewGuid():N}");
            using var request = what == "sale"
                ? new HttpRequestMessage(HttpMethod.Post, "/api/v1/cash_registers/1/sales")
                {
                    Content = JsonContent.Create(new
                    {
                        debit_type = "COPY", amount = 0.30m, description = "2 photocopies", payment_type = "CASH", external_id = externalId,
                    }),
                }
                : new HttpRequestMessage(HttpMethod.Post, Invariant($"/api/v1/patrons/{patrons[(worker + sequence * clients) % patrons.Length]}/account/payments"))
                {
                    Content = JsonContent.Create(new
                    {
                        debit_type = "PRINT", amount = 2.50m, payment_type = "CASH", description = "Benchmark print job", external_id = externalId,
                    }),
                };
            sequence++;
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

/// <summary>
/// <paramref name="count"/> patrons for the load: those an earlier run in this database made (cardnumber bench-...), then
/// new ones for the rest, so a second run (bench/run's profile) writes nothing but payments.
/// </summary>
static async Task<long[]> PatronsAsync(HttpClient http, string adminToken, int count)
{
    var ids = new List<long>();
    for (var page = 1; ids.Count < count; page++)
    {
        var listed = (await BenchApi.GetAsync(http, adminToken, Invariant($"/api/v1/patrons?_per_page=1000&_page={page}"))).AsArray();
        ids.AddRange(listed.Where(p => p!["cardnumber"]?.GetValue<string>().StartsWith("bench-", StringComparison.Ordinal) == true)
            .Select(p => p!["patron_id"]!.GetValue<long>()));
        if (listed.Count < 1000)
        {
            break;
        }
    }
    while (ids.Count < count)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/patrons")
        {
            Content = JsonContent.Create(new { cardnumber = $"bench-{Guid.NewGuid():N}"[..30], surname = "Bench", library_id = "MAIN" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        ids.Add((await response.Content.ReadFromJsonAsync<JsonNode>())!["patron_id"]!.GetValue<long>());
    }
    return ids.Take(count).ToArray();
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

sealed record Options(string Url, string Password, int[] ClientCounts, int Seconds, int Patrons, string[] What)
{
    /// <summary>The first client count: what the single-count loads (basic-flood, sip2) use.</summary>
    public int Clients => ClientCounts[0];

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
            Value("--clients", "16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            int.Parse(Value("--seconds", "10"), CultureInfo.InvariantCulture),
            int.Parse(Value("--patrons", "1000"), CultureInfo.InvariantCulture),
            Value("--what", "intake").Split(','));
    }
}
