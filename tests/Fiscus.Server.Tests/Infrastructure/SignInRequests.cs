using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>The sign-in requests the throttle's tests send, and the setting of its budget.</summary>
public static class SignInRequests
{
    /// <summary>Settings with <c>FISCUS_LOGIN_ATTEMPTS_PER_MINUTE</c> at <paramref name="attempts"/>.</summary>
    public static Dictionary<string, string?> Budget(int attempts) =>
        new() { ["FISCUS_LOGIN_ATTEMPTS_PER_MINUTE"] = attempts.ToString(CultureInfo.InvariantCulture) };

    public static Task<HttpResponseMessage> Login(HttpClient http, string username, string password) =>
        http.PostAsync("/api/v1/auth/login", Json.Body(new { username, password }));

    /// <summary>Sets Basic credentials on <paramref name="http"/> for every request it sends from now on.</summary>
    public static HttpClient Basic(HttpClient http, string username, string password)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        return http;
    }

    public static Task<HttpResponseMessage> Token(HttpClient http, string clientId, string secret) =>
        http.PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
        }));
}
