using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

/// <summary>The REST calls the load generators set up with: the admin's sign-in, admin POSTs, and kiosk API clients.</summary>
static class BenchApi
{
    public static async Task<string> LoginAsync(HttpClient http, string password)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!["access_token"]!.GetValue<string>();
    }

    public static async Task<JsonNode> GetAsync(HttpClient http, string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    /// <summary>POSTs <paramref name="body"/> with the bearer <paramref name="token"/>; anything but a 2xx throws with the answer's body.</summary>
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

    /// <summary>A new API client with <paramref name="scopes"/> (by default <c>payments:write</c>) bound to register <paramref name="registerId"/>, and a token for it.</summary>
    public static async Task<(string Token, string ClientId)> KioskClientAsync(HttpClient http, string adminToken, int registerId, params string[] scopes)
    {
        var client = await PostAsync(http, adminToken, "/api/v1/clients",
            new { name = $"Bench kiosk {Guid.NewGuid():N}"[..30], scopes = scopes.Length > 0 ? scopes : ["payments:write"], cash_register_id = registerId });
        var clientId = client["client_id"]!.GetValue<string>();
        using var token = await http.PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = client["client_secret"]!.GetValue<string>(),
        }));
        token.EnsureSuccessStatusCode();
        return ((await token.Content.ReadFromJsonAsync<JsonNode>())!["access_token"]!.GetValue<string>(), clientId);
    }
}
