using System.Globalization;
using System.Text.Json;
using Fiscus.Faults;

// The fault suite's client (faults/run drives it and injects the faults):
//   setup --url U --password P --state FILE [--patrons 50]           a kiosk client on register 1 and patrons to pay for
//   load  --state FILE --urls U1[,U2] --seconds S --log FILE [--clients 16] [--race] [--abandon 5] [--cashups U]
//         payments with an Idempotency-Key (also their external_id) until S seconds have passed; every outcome in FILE
//   check --state FILE --url U --db CONNECTION --log FILE[,FILE...] [--since-ms EPOCH_MS]
//         acknowledged = present exactly once; every unanswered one replayed with its key: truthful; no 500s
var verb = args.FirstOrDefault() ?? "";
var options = new Arguments(args.Skip(1).ToArray());
try
{
    return verb switch
    {
        "setup" => await Setup.RunAsync(options),
        "load" => await Load.RunAsync(options),
        "check" => await Check.RunAsync(options),
        _ => Usage(),
    };
}
catch (Exception e) when (e is HttpRequestException or ArgumentException or IOException or JsonException)
{
    await Console.Error.WriteLineAsync($"faults {verb}: {e.Message}");
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Fiscus.Faults setup|load|check ... (see faults/run)");
    return 2;
}

namespace Fiscus.Faults
{
    sealed class Arguments(string[] args)
    {
        public string Get(string name, string? fallback = null)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1]
                : fallback ?? throw new ArgumentException($"{name} is required");
        }

        public int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

        public bool Flag(string name) => args.Contains(name);
    }

    /// <summary>What setup made and load/check use.</summary>
    sealed record State(string Token, long[] Patrons, string AdminToken);
}
