using System.Text.Json.Nodes;
using Fiscus.Server.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Fiscus.Server.Docs;

/// <summary>
/// <c>POST /api/v1/oauth/token</c> in the document: its form body (the endpoint reads the form itself, so nothing else
/// describes it), its two ways of client authentication, and its OAuth2 error bodies. Runs after <see cref="OperationDocs"/>
/// (endpoint transformers come last), so what it says wins.
/// </summary>
public static class TokenDocs
{
    public static Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document;
        operation.Description =
            "OAuth2 client credentials (RFC 6749 §4.4), as Koha answers them. Authenticate the client **either** with the " +
            "`client_id` and `client_secret` form fields **or** by HTTP Basic (`Authorization: Basic base64(urlencode(client_id):" +
            "urlencode(client_secret))`, RFC 6749 §2.3.1) with only `grant_type` in the form — not both (400 `invalid_request`). " +
            "The body is a form (`application/x-www-form-urlencoded`), never JSON.\n\n" +
            "**Authorization:** none; this is where an API client gets its bearer token.\n\n" +
            "**Errors** are OAuth2's `{\"error\", \"error_description\"}`: 400 `invalid_request` (not a form, a form that cannot be read, " +
            "missing or doubled credentials) or `Unimplemented grant type`; a wrong, unknown or disabled client is 403 " +
            "`unauthorized_client` with form fields (Koha's answer) and 401 `invalid_client` with `WWW-Authenticate: Basic` by HTTP " +
            "Basic (RFC 6749 §5.2). Failed attempts are throttled per address like every sign-in (429 `rate_limited`, problem+json).";
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/x-www-form-urlencoded"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "grant_type" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["grant_type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("client_credentials")] },
                            ["client_id"] = new OpenApiSchema
                            {
                                Type = JsonSchemaType.String,
                                Description = "The API client's id; leave out when it is sent by HTTP Basic.",
                            },
                            ["client_secret"] = new OpenApiSchema
                            {
                                Type = JsonSchemaType.String,
                                Format = "password",
                                Description = "The API client's secret (`fss_...`); leave out when it is sent by HTTP Basic.",
                            },
                        },
                    },
                },
            },
        };
        operation.Responses ??= [];
        operation.Responses["400"] = OAuthResponse(document,
            "`invalid_request` (see `error_description`), or `{\"error\": \"Unimplemented grant type\"}` for any grant but client_credentials.");
        var invalidClient = OAuthResponse(document, "`invalid_client`: wrong, unknown or disabled client, authenticated by HTTP Basic.");
        invalidClient.Headers = new Dictionary<string, IOpenApiHeader>
        {
            ["WWW-Authenticate"] = new OpenApiHeader { Description = $"`{ClientBasic.Challenge}`", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        operation.Responses["401"] = invalidClient;
        operation.Responses["403"] = OAuthResponse(document, "`unauthorized_client`: wrong, unknown or disabled client, sent as form fields.");
        return Task.CompletedTask;
    }

    static OpenApiResponse OAuthResponse(OpenApiDocument? document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new() { Schema = new OpenApiSchemaReference(nameof(OAuthError), document) },
        },
    };
}
