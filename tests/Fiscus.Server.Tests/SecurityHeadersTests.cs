using Fiscus.Server.Http;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Fiscus.Server.Tests;

/// <summary>The headers every answer carries, and the ones that depend on who asked, what for and how.</summary>
public sealed class SecurityHeadersTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task An_authenticated_API_answer_is_not_sniffed_framed_referred_or_stored()
    {
        var cashier = await fiscus.StaffAsync("cashier");

        using var response = await cashier.Http.GetAsync("/api/v1/cash_registers");

        await response.ExpectAsync(HttpStatusCode.OK);
        AssertAlways(response);
        Assert.Equal(SecurityHeaders.ApiPolicy, Header(response, "Content-Security-Policy"));
        Assert.Equal("no-store", Header(response, "Cache-Control"));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS only over HTTPS");
    }

    [Theory]
    [InlineData("/api/v1/no-such-thing", HttpStatusCode.NotFound)]
    [InlineData("/api/v1/cash_registers", HttpStatusCode.Unauthorized)]
    [InlineData("/health/live", HttpStatusCode.OK)]
    public async Task Every_answer_carries_them_errors_included(string path, HttpStatusCode status)
    {
        using var response = await fiscus.Anonymous().GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        AssertAlways(response);
        Assert.Equal(SecurityHeaders.ApiPolicy, Header(response, "Content-Security-Policy"));
    }

    [Fact]
    public async Task A_refused_credential_and_every_auth_endpoint_answer_are_not_stored()
    {
        using var refused = await fiscus.WithBearer("fst_not-a-token").GetAsync("/api/v1/cash_registers");
        using var failedLogin = await fiscus.Anonymous().PostAsync("/api/v1/auth/login",
            Json.Body(new { username = "admin", password = "not-the-password" }));
        using var login = await fiscus.Anonymous().PostAsync("/api/v1/auth/login",
            Json.Body(new { username = "admin", password = FiscusFactory.AdminPassword }));
        using var anonymousDocs = await fiscus.Anonymous().GetAsync("/api/v1/docs/index.js");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, failedLogin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.All([refused, failedLogin, login], r => Assert.Equal("no-store", Header(r, "Cache-Control")));
        Assert.DoesNotContain("no-store", Header(anonymousDocs, "Cache-Control") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_docs_page_gets_its_own_tight_policy()
    {
        using var page = await fiscus.Anonymous().GetAsync("/api/v1/docs/index.html");
        using var script = await fiscus.Anonymous().GetAsync("/api/v1/docs/index.js");

        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        AssertAlways(page);
        Assert.Equal(SecurityHeaders.DocsPolicy, Header(page, "Content-Security-Policy"));
        Assert.Equal(SecurityHeaders.DocsPolicy, Header(script, "Content-Security-Policy"));
        // The policy allows no inline script or style: the page must have none.
        Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)[^>]*>", html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_one_inline_style_the_docs_may_apply_is_the_top_bars_own_logo_style()
    {
        using var bundle = await fiscus.Anonymous().GetAsync("/api/v1/docs/swagger-ui-standalone-preset.js");

        // A Swagger UI upgrade that changes the logo's style fails here: recompute the hash, never 'unsafe-inline'.
        Assert.Contains(SecurityHeaders.DocsLogoStyle, await bundle.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(SecurityHeaders.DocsLogoStyle)));
        Assert.Equal(SecurityHeaders.DocsLogoStyleHash, $"sha256-{hash}");
    }

    [Fact]
    public async Task Strict_transport_security_only_over_HTTPS()
    {
        var https = fiscus.Factory.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://fiscus.library.example"),
            AllowAutoRedirect = false,
        });

        using var response = await https.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("max-age=31536000", Header(response, "Strict-Transport-Security"), StringComparison.Ordinal);
    }

    static void AssertAlways(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;
}
