using System.Collections.Concurrent;
using NJsonSchema;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>FOLIO's own JSON schemas (copied verbatim into FolioSchemas/), loaded with their $refs, to validate answers against.</summary>
public static class FolioSchemas
{
    static readonly ConcurrentDictionary<string, Task<JsonSchema>> Schemas = new(StringComparer.Ordinal);

    public const string Payment = "paymentdata.json";
    public const string PaymentCollection = "paymentdataCollection.json";
    public const string Owner = "ownerdata.json";
    public const string OwnerCollection = "ownerdataCollection.json";
    public const string Errors = "raml-util/schemas/errors.schema";

    public static async Task AssertValidAsync(string schemaFile, string json)
    {
        var schema = await Schemas.GetOrAdd(schemaFile, file => JsonSchema.FromFileAsync(Path.Combine(AppContext.BaseDirectory, "FolioSchemas", file)));
        var errors = schema.Validate(json);
        Assert.True(errors.Count == 0, $"not valid against {schemaFile}: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}"))}\n{json}");
    }
}
