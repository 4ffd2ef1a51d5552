using Fiscus.Server.Http;

namespace Fiscus.Server.Docs;

/// <summary>The OpenAPI document at <c>/api/v1/openapi.json</c> and the interactive docs (Swagger UI) at <see cref="SecurityHeaders.DocsPath"/>.</summary>
public static class ApiDocsSetup
{
    public const string DocumentPath = "/api/v1/openapi.json";

    public static IServiceCollection AddApiDocs(this IServiceCollection services) =>
        services.AddOpenApi("v1", o => o
            .AddSchemaTransformer<DialectSchemaNames>()
            .AddOperationTransformer<OperationDocs>()
            .AddDocumentTransformer<ApiDocument>());

    /// <summary>
    /// Swagger UI, served from its own bundled files (no CDN: the page works on a library network with no internet). Its
    /// Authorize dialog offers every scheme of <see cref="ApiDocument"/>; for OAuth2 client credentials it posts to the token
    /// URL itself, sending the client id and secret by HTTP Basic unless told to put them in the body.
    /// </summary>
    /// <remarks>
    /// Scalar (Scalar.AspNetCore 2.19.0, the version that restores here) was considered and not taken: its page configures
    /// itself in an inline module script (a CSP hash per configuration), its 4.9 MB bundle loads the Inter font from
    /// fonts.scalar.com unless told otherwise and has telemetry on by default. Swagger UI runs under a policy with no inline
    /// script, no third-party origin and one hashed style, and does everything integrators need here (Authorize with
    /// client credentials, try it out).
    /// </remarks>
    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath);
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = SecurityHeaders.DocsPath.Value!.TrimStart('/');
            o.SwaggerEndpoint(DocumentPath, "Fiscus v1");
            o.DocumentTitle = "Fiscus API";
        });
        return app;
    }
}
