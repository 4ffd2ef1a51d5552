using System.Text.Json;

namespace Fiscus.Faults;

/// <summary>The admin's sign-in, a kiosk client on register 1 and its token, and patrons: bench/'s REST set-up, shared.</summary>
static class Setup
{
    public static async Task<int> RunAsync(Arguments options)
    {
        using var http = new HttpClient { BaseAddress = new Uri(options.Get("--url")) };
        var admin = await BenchApi.LoginAsync(http, options.Get("--password"));
        var (kiosk, _) = await BenchApi.KioskClientAsync(http, admin, 1);
        var patrons = new List<long>();
        for (var i = 0; i < options.Int("--patrons", 50); i++)
        {
            var patron = await BenchApi.PostAsync(http, admin, "/api/v1/patrons",
                new { cardnumber = $"fault-{Guid.NewGuid():N}"[..30], surname = "Fault", library_id = "MAIN" });
            patrons.Add(patron["patron_id"]!.GetValue<long>());
        }
        await File.WriteAllTextAsync(options.Get("--state"), JsonSerializer.Serialize(new State(kiosk, [.. patrons], admin)));
        Console.WriteLine($"set up: a kiosk client on register 1 and {patrons.Count} patrons");
        return 0;
    }
}
