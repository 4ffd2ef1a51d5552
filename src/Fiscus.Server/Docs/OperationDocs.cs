using System.Reflection;
using Fiscus.Ledger.Commands;
using Fiscus.Server.Commands;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Fiscus.Server.Docs;

/// <summary>
/// Completes every operation from its endpoint's metadata, so no endpoint has to repeat it: who may call it (the
/// security requirement, with the scope as the OAuth2 scope, and the same in words in its description), the
/// <c>Idempotency-Key</c> header on money commands, and the errors it can answer with (<see cref="ErrorResponses"/>).
/// </summary>
public sealed class OperationDocs(FiscusOptions options) : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var access = EndpointAccess.Of(metadata.ToList());
        var document = context.Document;
        // A handler taking the command call runs through the CommandRunner: idempotent, and refused as the runner refuses.
        var command = metadata.OfType<MethodInfo>().Any(m => m.GetParameters().Any(p => p.ParameterType == typeof(CommandCall)));

        if (!access.Anonymous)
        {
            operation.Security = SecurityOf(access, document);
        }
        if (command)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = CommandCall.KeyHeader,
                In = ParameterLocation.Header,
                Description = "Makes a retry safe (Stripe's semantics): the same key with the same request answers the stored response " +
                    $"(`{CommandCall.ReplayedHeader}: true`) and records nothing again; with a different request it is 422 " +
                    "`idempotency_key_reused`; while the first is still running, 409 `idempotency_key_in_use`. Send a new random key per " +
                    "new request, and the same key when retrying after a timeout or a 503.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyKey.MaxLength },
            });
        }

        var shape = metadata.OfType<IErrorShape>().LastOrDefault();
        var method = context.Description.HttpMethod ?? "GET";
        ErrorResponses.Add(operation, document, new ErrorResponses.Facts(
            method, context.Description.RelativePath ?? "", access, command, options.BasicAuth, shape));

        var lines = new List<string>();
        if (!string.IsNullOrWhiteSpace(operation.Description))
        {
            lines.Add(operation.Description.Trim());
        }
        lines.Add(access.Describe());
        if (command)
        {
            lines.Add("**Money command:** one transaction through the ledger's runner, audited; retry with the same `Idempotency-Key`.");
        }
        lines.Add(ErrorResponses.Summary(shape));
        operation.Description = string.Join("\n\n", lines);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The ways in, as alternatives (any one of them suffices): a bearer token, the staff cookie, HTTP Basic when it is on,
    /// and OAuth2 client credentials with the scopes the endpoint needs, unless only a person may call it.
    /// </summary>
    List<OpenApiSecurityRequirement> SecurityOf(EndpointAccess access, OpenApiDocument? document)
    {
        var requirements = new List<OpenApiSecurityRequirement>();
        void Add(string scheme, List<string> scopes) =>
            requirements.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = scopes });
        Add(ApiDocument.Bearer, []);
        Add(ApiDocument.Cookie, []);
        if (options.BasicAuth)
        {
            Add(ApiDocument.Basic, []);
        }
        if (!access.PersonOnly)
        {
            Add(ApiDocument.OAuth2, access.Scopes.ToList());
        }
        return requirements;
    }
}
