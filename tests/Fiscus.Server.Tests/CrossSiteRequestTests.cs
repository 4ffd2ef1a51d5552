using System.Net.Http.Headers;
using System.Text;

namespace Fiscus.Server.Tests;

/// <summary>
/// Cross-site request forgery: what a page on another site can make a signed-in browser send with the
/// <c>access_token</c> cookie (form posts, no-cors fetches) is refused and changes nothing; the server's own pages,
/// programs sending the cookie without browser headers (the POS curl examples), bearer tokens and Basic still work.
/// </summary>
public sealed class CrossSiteRequestTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    // The in-process server's own origin is its base address.
    const string OwnOrigin = "http://localhost";

    /// <summary>Body kind, Origin, Sec-Fetch-Site: what browsers send for a cross-site unsafe request.</summary>
    public static TheoryData<string, string?, string?> CrossSite => new()
    {
        { "form", "https://evil.example", null },
        { "json", "https://evil.example", null },
        { "none", "https://evil.example", null },
        { "form", "null", null },
        { "form", "http://localhost:8080", null },
        { "form", "https://localhost", null },
        { "form", null, "cross-site" },
        { "json", null, "same-site" },
        { "form", OwnOrigin, "cross-site" },
    };

    [Theory]
    [MemberData(nameof(CrossSite))]
    public async Task Cross_site_cookie_posts_are_403_and_change_nothing(string body, string? origin, string? fetchSite)
    {
        var victim = await fiscus.UserAsync("cashier");
        var kiosk = await fiscus.ClientAsync(["registers:read"]);
        var register = await fiscus.RegisterAsync();
        var secretBefore = await SecretHashAsync(kiosk.ClientId);
        var admin = CookieClient(await fiscus.LoginAsync("admin", FiscusFactory.AdminPassword));

        foreach (var path in (string[])[$"/api/v1/users/{victim.UserId}/disable", $"/api/v1/clients/{kiosk.ClientId}/secret",
                     $"/api/v1/cash_registers/{register}/cashups/start"])
        {
            using var response = await admin.SendAsync(Forged(path, body, origin, fetchSite));
            await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "cross_site_request");
        }

        Assert.False(await fiscus.ScalarAsync<bool>("SELECT disabled_at IS NOT NULL FROM staff_users WHERE user_id = @UserId", new { victim.UserId }));
        Assert.Equal(secretBefore, await SecretHashAsync(kiosk.ClientId));
        Assert.Equal(0, await fiscus.ScalarAsync<long>("SELECT count(*) FROM cashups WHERE cash_register_id = @register", new { register }));
    }

    [Theory]
    [InlineData(OwnOrigin, null)]
    [InlineData(null, "same-origin")]
    [InlineData(OwnOrigin, "same-origin")]
    [InlineData(null, null)]
    public async Task The_servers_own_pages_and_programs_without_browser_headers_may_post_with_the_cookie(string? origin, string? fetchSite)
    {
        var victim = await fiscus.UserAsync("cashier");
        var admin = CookieClient(await fiscus.LoginAsync("admin", FiscusFactory.AdminPassword));

        using var response = await admin.SendAsync(Forged($"/api/v1/users/{victim.UserId}/disable", "none", origin, fetchSite));

        await response.ExpectAsync(HttpStatusCode.OK);
        Assert.True(await fiscus.ScalarAsync<bool>("SELECT disabled_at IS NOT NULL FROM staff_users WHERE user_id = @UserId", new { victim.UserId }));
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("basic")]
    public async Task Bearer_and_Basic_requests_are_not_affected_by_a_foreign_origin(string scheme)
    {
        var victim = await fiscus.UserAsync("cashier");
        var http = scheme == "bearer" ? await fiscus.AdminAsync() : fiscus.WithBasic("admin", FiscusFactory.AdminPassword);

        using var response = await http.SendAsync(Forged($"/api/v1/users/{victim.UserId}/disable", "form", "https://evil.example", "cross-site"));

        await response.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_cross_site_login_is_refused_and_sets_no_cookie()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = Json.Body(new { username = "admin", password = FiscusFactory.AdminPassword }),
        };
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await fiscus.Anonymous().SendAsync(request);

        await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "cross_site_request");
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task A_dialect_route_refuses_in_its_own_error_shape()
    {
        var cashier = await fiscus.UserAsync("cashier");

        using var response = await CookieClient(cashier.Token).SendAsync(Forged("/api/v1/shifts/start", "json", "https://evil.example", null));

        var body = await response.ExpectAsync(HttpStatusCode.Forbidden);
        Assert.Equal("cross_site_request", body["error"]!.GetValue<string>());
        Assert.NotNull(body["message"]);
    }

    HttpClient CookieClient(string token)
    {
        var client = fiscus.Anonymous();
        client.DefaultRequestHeaders.Add("Cookie", $"access_token={token}");
        return client;
    }

    static HttpRequestMessage Forged(string path, string body, string? origin, string? fetchSite)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body switch
            {
                "form" => new StringContent("x=1", Encoding.UTF8, "application/x-www-form-urlencoded"),
                "json" => new StringContent("""{"start_cash": 0, "password": "x"}""", Encoding.UTF8, "application/json"),
                _ => null,
            },
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }
        return request;
    }

    Task<byte[]> SecretHashAsync(string clientId) =>
        fiscus.ScalarAsync<byte[]>("SELECT secret_hash FROM api_clients WHERE client_id = @clientId", new { clientId });
}
