using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fiscus.Server.Dialects.Folio;
using Fiscus.Server.Dialects.Polaris;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Fiscus.Server.Http;

/// <summary>
/// The OpenAPI document describes every schema with the native JSON options (snake_case), but the dialects write
/// their own: FOLIO camelCase (<c>nameMethod</c>), Polaris PascalCase as declared (<c>TxnIds</c>). This renames a
/// dialect type's properties to what its serializer actually puts on the wire, so the document tells integrators
/// the truth.
/// </summary>
public sealed class DialectSchemaNames : IOpenApiSchemaTransformer
{
    static readonly (string Namespace, JsonSerializerOptions Options)[] Dialects =
    [
        (typeof(FolioJson).Namespace!, FolioJson.Options),
        (typeof(PolarisJson).Namespace!, PolarisJson.Options),
    ];

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        var options = Dialects.FirstOrDefault(d => type.Namespace == d.Namespace).Options;
        if (options is null || schema.Properties is not { Count: > 0 } properties)
        {
            return Task.CompletedTask;
        }
        var renames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (property.AttributeProvider is not MemberInfo member)
            {
                continue;
            }
            var wire = member.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                ?? options.PropertyNamingPolicy?.ConvertName(member.Name)
                ?? member.Name;
            renames[property.Name] = wire;
        }
        var renamed = properties.ToList();
        properties.Clear();
        foreach (var (name, value) in renamed)
        {
            properties[renames.GetValueOrDefault(name, name)] = value;
        }
        if (schema.Required is { Count: > 0 } required)
        {
            var names = required.ToList();
            required.Clear();
            foreach (var name in names)
            {
                required.Add(renames.GetValueOrDefault(name, name));
            }
        }
        return Task.CompletedTask;
    }
}
