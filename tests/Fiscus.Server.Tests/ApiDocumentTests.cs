using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fiscus.Ledger.Access;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Server.Tests;

/// <summary>
/// What an integrator finds in the OpenAPI document: how to authenticate (four schemes, so the docs page has an Authorize
/// button), what each operation needs (checked against the authorization metadata the server enforces, for every
/// endpoint, so a new one cannot slip by undocumented), and the errors it answers with, in its route's own shape.
/// </summary>
public sealed partial class ApiDocumentTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    async Task<JsonNode> DocumentAsync()
    {
        using var response = await fiscus.Anonymous().GetAsync("/api/v1/openapi.json");
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from method in path.Value!.AsObject()
        where Methods.Contains(method.Key)
        select (path.Key, method.Key, method.Value!.AsObject());

    [Fact]
    public async Task The_document_offers_bearer_cookie_basic_and_oauth2_client_credentials()
    {
        var schemes = (await DocumentAsync())["components"]!["securitySchemes"]!;

        Assert.Equal("http", schemes["bearer"]!["type"]!.GetValue<string>());
        Assert.Equal("bearer", schemes["bearer"]!["scheme"]!.GetValue<string>());
        Assert.Contains("/api/v1/auth/login", schemes["bearer"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("apiKey", schemes["cookie"]!["type"]!.GetValue<string>());
        Assert.Equal("cookie", schemes["cookie"]!["in"]!.GetValue<string>());
        Assert.Equal("access_token", schemes["cookie"]!["name"]!.GetValue<string>());
        Assert.Equal("http", schemes["basic"]!["type"]!.GetValue<string>());
        Assert.Equal("basic", schemes["basic"]!["scheme"]!.GetValue<string>());
        Assert.Equal("oauth2", schemes["oauth2"]!["type"]!.GetValue<string>());
        var flow = schemes["oauth2"]!["flows"]!["clientCredentials"]!;
        Assert.Equal("/api/v1/oauth/token", flow["tokenUrl"]!.GetValue<string>());
        // Every scope a client can be granted, and none it cannot.
        Assert.Equal(Scopes.All.Except(Scopes.StaffOnly).Order(), flow["scopes"]!.AsObject().Select(s => s.Key).Order());
    }

    [Fact]
    public async Task Without_basic_auth_the_document_offers_no_basic_scheme()
    {
        await using var factory = fiscus.Factory.WithWebHostBuilder(b => b.UseSetting("FISCUS_BASIC_AUTH", "false"));

        using var response = await factory.CreateClient().GetAsync("/api/v1/openapi.json");

        var document = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Null(document["components"]!["securitySchemes"]!["basic"]);
        Assert.DoesNotContain(Operations(document), o => o.Operation["security"]?.AsArray().Any(r => r!["basic"] is not null) == true);
    }

    [Fact]
    public async Task Every_operation_says_who_may_call_it_as_the_server_enforces_it()
    {
        var document = await DocumentAsync();
        var endpoints = EndpointsByOperation();
        var anonymous = new List<string>();

        var operations = Operations(document).ToList();
        Assert.True(operations.Count > 80, $"only {operations.Count} operations");
        foreach (var (path, method, operation) in operations)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            Assert.True(endpoints.TryGetValue(name, out var metadata), $"{name}: no endpoint has this route");
            var authorize = metadata!.OfType<IAuthorizeData>().ToList();
            var description = operation["description"]?.GetValue<string>() ?? "";
            if (metadata!.OfType<IAllowAnonymous>().Any() || authorize.Count == 0)
            {
                anonymous.Add(name);
                Assert.True(operation["security"] is null, $"{name} is anonymous but documents a security requirement");
                continue;
            }
            var requirements = operation["security"]?.AsArray() ?? [];
            var schemes = requirements.SelectMany(r => r!.AsObject().Select(s => s.Key)).ToList();
            Assert.True(schemes.Contains("bearer") && schemes.Contains("cookie") && schemes.Contains("basic"), $"{name}: {string.Join(",", schemes)}");
            var policies = authorize.Select(a => a.Policy).OfType<string>().ToList();
            var scopes = policies.Where(Scopes.All.Contains).ToList();
            var personOnly = policies.Contains("staff") || scopes.Any(Scopes.StaffOnly.Contains);
            var oauth2 = requirements.Select(r => r!["oauth2"]).SingleOrDefault(r => r is not null);
            if (personOnly)
            {
                Assert.True(oauth2 is null, $"{name}: only a person may call it, yet OAuth2 client credentials are offered");
            }
            else
            {
                Assert.True(oauth2 is not null, $"{name}: no OAuth2 requirement");
                Assert.Equal(scopes.Order(), oauth2!.AsArray().Select(s => s!.GetValue<string>()).Order());
            }
            foreach (var scope in scopes)
            {
                Assert.True(description.Contains($"`{scope}`", StringComparison.Ordinal), $"{name}: the description does not name {scope}");
            }
            if (scopes.Count == 0)
            {
                Assert.Contains("**Authorization:**", description, StringComparison.Ordinal);
            }
        }
        // Only these two are open to anyone: a new endpoint without authorization fails here rather than going out open.
        Assert.Equal(["POST /api/v1/auth/login", "POST /api/v1/oauth/token"], anonymous.Order());
    }

    [Fact]
    public async Task Every_operation_documents_its_errors_in_its_routes_shape()
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!;
        Assert.Equal(["code", "error", "status"], schemas["Problem"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());

        foreach (var (path, method, operation) in Operations(document))
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            var responses = operation["responses"]!.AsObject();
            Assert.True(responses.ContainsKey("503"), $"{name} has no 503");
            if (operation["security"] is not null)
            {
                Assert.True(responses.ContainsKey("401") && responses.ContainsKey("403"), $"{name} lacks 401 or 403");
                Assert.Contains("unauthorized", responses["401"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
            }
            if (path.Contains('{', StringComparison.Ordinal))
            {
                Assert.True(responses.ContainsKey("404"), $"{name} has an id in its path but no 404");
            }
            if (method != "get" && operation["security"] is not null)
            {
                Assert.True(responses.ContainsKey("400") && responses.ContainsKey("409"), $"{name} writes but lacks 400 or 409");
            }
            foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
            {
                Assert.False(string.IsNullOrWhiteSpace(response!["description"]?.GetValue<string>()), $"{name} {status}: no description");
                var content = response["content"]?.AsObject();
                Assert.True(content is { Count: > 0 }, $"{name} {status}: no content");
                var expected = path switch
                {
                    _ when path.StartsWith("/payments", StringComparison.Ordinal) || path.StartsWith("/owners", StringComparison.Ordinal) =>
                        status == "422" ? "application/json" : "text/plain",
                    _ when path.StartsWith("/polaris/", StringComparison.Ordinal) => "application/json",
                    _ when path.StartsWith("/api/v1/shifts", StringComparison.Ordinal) => "application/json",
                    "/api/v1/oauth/token" when status is "400" or "401" or "403" => "application/json",
                    _ => "application/problem+json",
                };
                Assert.True(content!.ContainsKey(expected), $"{name} {status}: {string.Join(",", content!.Select(c => c.Key))}, not {expected}");
            }
        }
        var folio = document["paths"]!["/payments/{paymentId}"]!["put"]!["responses"]!;
        Assert.Equal("#/components/schemas/FolioValidationErrors", folio["422"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        var shift = document["paths"]!["/api/v1/shifts/start"]!["post"]!["responses"]!;
        Assert.Equal("#/components/schemas/ShiftError", shift["400"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        var polaris = document["paths"]!["/polaris/api/v1/patrons/{id}/accounttransactions"]!["get"]!["responses"]!;
        Assert.Equal("#/components/schemas/PolarisError", polaris["404"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_reference_resolves_and_every_tag_is_described()
    {
        var document = await DocumentAsync();
        var text = document.ToJsonString();

        foreach (var reference in RefPattern().Matches(text).Select(m => m.Groups[1].Value).Distinct())
        {
            var parts = reference.Split('/');
            Assert.True(document["components"]![parts[0]]?[parts[1]] is not null, $"#/components/{reference} does not resolve");
        }
        var used = Operations(document).SelectMany(o => o.Operation["tags"]!.AsArray().Select(t => t!.GetValue<string>())).ToHashSet();
        var tags = document["tags"]!.AsArray().ToDictionary(t => t!["name"]!.GetValue<string>(), t => t!["description"]?.GetValue<string>());
        foreach (var tag in used)
        {
            Assert.False(string.IsNullOrWhiteSpace(tags.GetValueOrDefault(tag)), $"tag '{tag}' has no description");
        }
        Assert.Contains("Authorize", document["info"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(Operations(document), o => Assert.False(string.IsNullOrWhiteSpace(o.Operation["description"]?.GetValue<string>())));
    }

    [Fact]
    public async Task Money_commands_document_the_idempotency_key_and_its_refusals()
    {
        var document = await DocumentAsync();

        var credits = document["paths"]!["/api/v1/patrons/{patron_id}/account/credits"]!["post"]!;
        Assert.Contains(credits["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["in"]!.GetValue<string>() == "header");
        Assert.Contains("`idempotency_key_reused`", credits["responses"]!["422"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("`idempotency_key_in_use`", credits["responses"]!["409"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        // Not a money command: no key.
        var library = document["paths"]!["/api/v1/libraries"]!["post"]!;
        Assert.DoesNotContain(library["parameters"]?.AsArray() ?? [], p => p!["name"]!.GetValue<string>() == "Idempotency-Key");
    }

    [Theory]
    [InlineData("/api/v1/patrons/{patron_id}", "/api/v1/patrons/987654321")]
    [InlineData("/api/v1/cash_registers/{cash_register_id}", "/api/v1/cash_registers/987654")]
    [InlineData("/api/v1/libraries/{library_id}", "/api/v1/libraries/NOWHERE")]
    [InlineData("/api/v1/users/{user_id}", "/api/v1/users/987654")]
    [InlineData("/api/v1/debit_types/{code}", "/api/v1/debit_types/NO_SUCH_TYPE")]
    [InlineData("/api/v1/payment_types/{code}", "/api/v1/payment_types/NO_SUCH_TYPE")]
    [InlineData("/api/v1/cashups/{cashup_id}", "/api/v1/cashups/987654")]
    [InlineData("/api/v1/patrons/{patron_id}", "/api/v1/patrons/not-a-number")]
    public async Task A_404s_code_is_one_the_document_lists_for_it(string path, string url)
    {
        var document = await DocumentAsync();
        var admin = await fiscus.AdminAsync();

        using var response = await admin.GetAsync(url);

        var problem = await response.ExpectAsync(HttpStatusCode.NotFound);
        var code = problem["code"]!.GetValue<string>();
        Assert.Contains($"`{code}`", document["paths"]![path]!["get"]!["responses"]!["404"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>Each endpoint's metadata by "METHOD /path", the path as OpenAPI writes it (no route constraints).</summary>
    Dictionary<string, IReadOnlyList<object>> EndpointsByOperation()
    {
        var endpoints = new Dictionary<string, IReadOnlyList<object>>(StringComparer.Ordinal);
        foreach (var endpoint in fiscus.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [];
            var path = "/" + ConstraintPattern().Replace(endpoint.RoutePattern.RawText!.TrimStart('/'), "}").TrimEnd('/');
            foreach (var method in methods)
            {
                endpoints.TryAdd($"{method} {path}", endpoint.Metadata.ToList());
            }
        }
        return endpoints;
    }

    [GeneratedRegex("\"\\$ref\":\"#/components/([a-zA-Z]+/[^\"]+)\"")]
    private static partial Regex RefPattern();

    [GeneratedRegex(":[^}]+}")]
    private static partial Regex ConstraintPattern();
}
