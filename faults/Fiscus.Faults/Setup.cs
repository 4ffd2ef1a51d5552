using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fiscus.Faults;

static class Setup
{
    public static async Task<int> RunAsync(Arguments options)
    {
        using var http = new HttpClient { BaseAddress = new Uri(options.Get("--url")) };
        using var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = options.Get("--password") });
        login.EnsureSuccessStatusCode();
        var admin = (await login.Content.ReadFromJsonAsync<JsonNode>())!["access_token"]!.GetValue<string>();
        var client = await PostAsync(http, admin, "/api/v1/clients",
            new { name = $"Fault kiosk {Guid.NewGuid():N}"[..24], scopes = new[] { "payments:write" }, cash_register_id = 1 });
        using var token = await http.PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = client["client_id"]!.GetValue<string>(),
            ["client_secret"] = client["client_secret"]!.GetValue<string>(),
        }));
        token.EnsureSuccessStatusCode();
        var kiosk = (await token.Content.ReadFromJsonAsync<JsonNode>())!["access_token"]!.GetValue<string>();
        var patrons = new List<long>();
        for (var i = 0; i < options.Int("--patrons", 50); i++)
        {
            var patron = await PostAsync(http, admin, "/api/v1/patrons",
                new { cardnumber = $"fault-{Guid.NewGuid():N}"[..30], surname = "Fault", library_id = "MAIN" });
            patrons.Add(patron["patron_id"]!.GetValue<long>());
        }
        await File.WriteAllTextAsync(options.Get("--state"), JsonSerializer.Serialize(new State(kiosk, [.. patrons], admin)));
        Console.WriteLine($"set up: a kiosk client on register 1 and {patrons.Count} patrons");
        return 0;
    }

    public static async Task<JsonNode> PostAsync(HttpClient http, string token, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }
}
