using System.Net.Http.Headers;
using System.Text;
using Fiscus.Server.Auth;
using static Fiscus.Server.Tests.Infrastructure.SignInRequests;

namespace Fiscus.Server.Tests;

/// <summary>
/// <c>POST /api/v1/oauth/token</c> with the client authenticated by HTTP Basic (RFC 6749 §2.3.1), as Swagger UI's Authorize
/// dialog and most OAuth2 libraries send it, beside Koha's form fields (pinned in AuthTests).
/// </summary>
public sealed class OAuthClientBasicTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static HttpRequestMessage TokenRequest(string? basicId, string? basicSecret, Dictionary<string, string>? form = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth/token")
        {
            Content = new FormUrlEncodedContent(form ?? new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        if (basicId is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", BasicValue(basicId, basicSecret!));
        }
        return request;
    }

    /// <summary>RFC 6749 §2.3.1: each part form-urlencoded, then joined and base64-encoded.</summary>
    static string BasicValue(string id, string secret) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}"));

    static string PercentEncodeEveryCharacter(string text) =>
        string.Concat(Encoding.UTF8.GetBytes(text).Select(b => $"%{b:X2}"));

    [Fact]
    public async Task Basic_credentials_with_only_grant_type_in_the_form_give_a_working_token()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);

        using var response = await fiscus.Anonymous().SendAsync(TokenRequest(Uri.EscapeDataString(client.ClientId), Uri.EscapeDataString(client.Secret)));

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["access_token", "token_type", "expires_in"], body.AsObject().Select(p => p.Key));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var registers = await fiscus.WithBearer(body["access_token"]!.GetValue<string>()).GetAsync("/api/v1/cash_registers");
        await registers.ExpectAsync(HttpStatusCode.OK);
        Assert.True(await fiscus.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'auth.token' AND entity_id = @ClientId)", new { client.ClientId }));
    }

    [Fact]
    public async Task Both_parts_are_form_urlencoded_so_any_character_may_be_encoded()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);

        using var encoded = await fiscus.Anonymous().SendAsync(TokenRequest(PercentEncodeEveryCharacter(client.ClientId),
            PercentEncodeEveryCharacter(client.Secret)));
        // An encoded colon belongs to the secret: the header is split before decoding, so this secret is simply wrong.
        using var colon = await fiscus.Anonymous().SendAsync(TokenRequest(client.ClientId, client.Secret + "%3Aextra"));
        // '+' is a space in form encoding: the secret with a '+' appended is a different, wrong one, not the right one.
        using var plus = await fiscus.Anonymous().SendAsync(TokenRequest(client.ClientId, client.Secret + "+"));

        await encoded.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("invalid_client", (await colon.ExpectAsync(HttpStatusCode.Unauthorized))["error"]!.GetValue<string>());
        Assert.Equal("invalid_client", (await plus.ExpectAsync(HttpStatusCode.Unauthorized))["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("wrong secret")]
    [InlineData("unknown client")]
    public async Task Wrong_Basic_credentials_are_401_invalid_client_with_a_Basic_challenge(string what)
    {
        var client = await fiscus.ClientAsync(["registers:read"]);
        var id = what == "unknown client" ? "0123456789abcdef01234567" : client.ClientId;

        using var response = await fiscus.Anonymous().SendAsync(TokenRequest(id, what == "wrong secret" ? "fss_wrong" : client.Secret));

        var body = await response.ExpectAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_client", body["error"]!.GetValue<string>());
        Assert.StartsWith("Basic ", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        // Audited as a failed token request, as by form fields; never taken for a staff member's Basic sign-in.
        Assert.True(await fiscus.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'auth.token_failed' AND details->>'client_id' = @id)", new { id }));
        Assert.False(await fiscus.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'auth.basic_failed' AND details->>'username' = @id)", new { id }));
    }

    [Theory]
    [InlineData("secret in both")]
    [InlineData("secret in the body")]
    [InlineData("another client_id in the body")]
    public async Task Basic_and_body_credentials_together_are_400_invalid_request(string what)
    {
        var client = await fiscus.ClientAsync(["registers:read"]);
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        switch (what)
        {
            case "secret in both":
                form["client_id"] = client.ClientId;
                form["client_secret"] = client.Secret;
                break;
            case "secret in the body":
                form["client_secret"] = client.Secret;
                break;
            default:
                form["client_id"] = "0123456789abcdef01234567";
                break;
        }

        using var response = await fiscus.Anonymous().SendAsync(TokenRequest(client.ClientId, client.Secret, form));

        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
        Assert.Contains("not both", body["error_description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_client_id_in_the_body_beside_Basic_is_allowed()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);

        using var response = await fiscus.Anonymous().SendAsync(TokenRequest(client.ClientId, client.Secret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = client.ClientId }));

        await response.ExpectAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("Basic !!!not-base64")]
    [InlineData("Basic bm9jb2xvbg==")]
    [InlineData("Basic //79")]
    public async Task Unreadable_Basic_credentials_are_400_invalid_request(string authorization)
    {
        var request = TokenRequest(null, null);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await fiscus.Anonymous().SendAsync(request);

        Assert.Equal("invalid_request", (await response.ExpectAsync(HttpStatusCode.BadRequest))["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("application/json", """{"grant_type":"client_credentials","client_id":"x","client_secret":"y"}""")]
    [InlineData("text/plain", "grant_type=client_credentials")]
    [InlineData(null, "")]
    public async Task A_body_that_is_not_a_form_is_told_to_send_form_fields(string? contentType, string body)
    {
        var content = new StringContent(body);
        content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);

        using var response = await fiscus.Anonymous().PostAsync("/api/v1/oauth/token", content);

        var answer = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request", answer["error"]!.GetValue<string>());
        Assert.Equal(OAuthApi.FormFieldsMessage, answer["error_description"]!.GetValue<string>());
        Assert.Contains("form fields (Content-Type: application/x-www-form-urlencoded)", OAuthApi.FormFieldsMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_and_form_attempts_share_one_throttle_budget_per_address()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(2));
        var client = await fiscus.ClientAsync(["registers:read"]);
        var http = server.From("127.0.0.72");

        var statuses = new List<HttpStatusCode>();
        using (var basic = await http.SendAsync(TokenRequest(client.ClientId, "fss_wrong1")))
        {
            statuses.Add(basic.StatusCode);
        }
        using (var form = await Token(http, client.ClientId, "fss_wrong2"))
        {
            statuses.Add(form.StatusCode);
        }
        using var right = await http.SendAsync(TokenRequest(client.ClientId, client.Secret));
        statuses.Add(right.StatusCode);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.TooManyRequests], statuses);
        Assert.NotNull(right.Headers.RetryAfter);
        // Another address still has its budget: the right secret by Basic works.
        using var elsewhere = await server.From("127.0.0.73").SendAsync(TokenRequest(client.ClientId, client.Secret));
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }
}
