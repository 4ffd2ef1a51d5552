namespace Fiscus.Server.Tests;

/// <summary>
/// FISCUS_TRUSTED_PROXIES, on real Kestrel (the in-process server has no peer address): X-Forwarded-* is believed
/// only from a configured proxy, and then the client's address is what the audit records and the sign-in limit
/// counts, and its scheme and host are the request's (the cookie's Secure flag, the cross-site check).
/// </summary>
public sealed class TrustedProxiesTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Theory]
    [InlineData("")]
    [InlineData("10.1.2.3, 192.168.0.0/16")]
    public async Task X_Forwarded_For_from_an_untrusted_peer_changes_neither_the_audited_address_nor_the_sign_in_limit(string proxies)
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Settings(proxies));
        var attacker = server.From("127.0.0.21");
        var username = fiscus.Unique("nobody");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await LoginAsync(attacker, username, $"198.51.100.{i + 1}");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(["127.0.0.21"], await AuditedAddressesAsync(username));
    }

    [Fact]
    public async Task A_trusted_proxy_gives_the_client_address_to_the_audit_and_the_sign_in_limit()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Settings("127.0.0.22"));
        var proxy = server.From("127.0.0.22");
        // One username per client, so that only the address budget is in play.
        var (first, second, third) = (fiscus.Unique("nobody"), fiscus.Unique("nobody"), fiscus.Unique("nobody"));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await LoginAsync(proxy, first, "203.0.113.7");
            statuses.Add(response.StatusCode);
        }
        // Another client behind the same proxy has its own budget; what a client wrote into the header itself is not believed.
        using (var other = await LoginAsync(proxy, second, "203.0.113.8"))
        using (var spoofed = await LoginAsync(proxy, third, "6.6.6.6, 203.0.113.9"))
        {
            statuses.AddRange([other.StatusCode, spoofed.StatusCode]);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests,
            HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], statuses);
        Assert.Equal(["203.0.113.7"], await AuditedAddressesAsync(first));
        Assert.Equal(["203.0.113.8"], await AuditedAddressesAsync(second));
        Assert.Equal(["203.0.113.9"], await AuditedAddressesAsync(third));
    }

    [Theory]
    [InlineData("127.0.0.23", "https", true)]
    [InlineData("127.0.0.23", null, false)]
    [InlineData("", "https", false)]
    public async Task X_Forwarded_Proto_https_from_a_trusted_proxy_makes_the_login_cookie_Secure(string proxies, string? proto, bool secure)
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Settings(proxies));
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = Json.Body(new { username = "admin", password = FiscusFactory.AdminPassword }),
        };
        request.Headers.Add("X-Forwarded-For", "203.0.113.10");
        if (proto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", proto);
        }

        using var response = await server.From("127.0.0.23").SendAsync(request);

        await response.ExpectAsync(HttpStatusCode.OK);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Equal(secure, cookie.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("127.0.0.24", HttpStatusCode.OK)]
    [InlineData("", HttpStatusCode.Forbidden)]
    public async Task The_cross_site_check_knows_the_origin_the_browser_used_through_a_trusted_proxy(string proxies, HttpStatusCode expected)
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Settings(proxies));
        var victim = await fiscus.UserAsync("cashier");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/users/{victim.UserId}/disable");
        request.Headers.Add("Cookie", $"access_token={await fiscus.LoginAsync("admin", FiscusFactory.AdminPassword)}");
        request.Headers.Add("Origin", "https://fiscus.library.example");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "fiscus.library.example");

        using var response = await server.From("127.0.0.24").SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public void ASP_NET_Cores_own_forwarded_headers_switch_refuses_to_start_and_points_to_FISCUS_TRUSTED_PROXIES()
    {
        // ASPNETCORE_FORWARDEDHEADERS_ENABLED=true reaches the configuration as this key; the framework would then believe
        // X-Forwarded-For from any peer, FISCUS_TRUSTED_PROXIES unset or not.
        var error = Assert.ThrowsAny<Exception>(() => RealServer.Start(fiscus.Factory.Database,
            new Dictionary<string, string?> { ["ForwardedHeaders_Enabled"] = "true" }));

        var messages = string.Join(" | ", Messages(error));
        Assert.Contains("ASPNETCORE_FORWARDEDHEADERS_ENABLED", messages, StringComparison.Ordinal);
        Assert.Contains("FISCUS_TRUSTED_PROXIES", messages, StringComparison.Ordinal);
    }

    static IEnumerable<string> Messages(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e.Message;
        }
    }

    static Dictionary<string, string?> Settings(string proxies) => new()
    {
        ["FISCUS_TRUSTED_PROXIES"] = proxies,
        ["FISCUS_LOGIN_ATTEMPTS_PER_MINUTE"] = "2",
    };

    static Task<HttpResponseMessage> LoginAsync(HttpClient http, string username, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = Json.Body(new { username, password = "not-the-password" }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return http.SendAsync(request);
    }

    async Task<string[]> AuditedAddressesAsync(string username) =>
        (await fiscus.QueryAsync<string>("""
            SELECT DISTINCT remote_address FROM audit_log
            WHERE action = 'auth.login_failed' AND details->>'username' = @username ORDER BY remote_address
            """, new { username })).ToArray();
}
