namespace Fiscus.Server.Http;

/// <summary>
/// Koha's <c>x-koha-embed</c> request header: the related objects a client asks a Koha route to add to its answer
/// (<c>x-koha-embed: manager,summary</c>). An endpoint declares what it offers with
/// <see cref="KohaEmbedExtensions.WithKohaEmbeds{TBuilder}"/>; asking for anything else is a 400 in Koha's
/// validation shape, as Koha's OpenAPI validation answers a value outside the header's enum.
/// </summary>
public sealed record KohaEmbed(IReadOnlySet<string> Names)
{
    public const string Header = "x-koha-embed";

    public static readonly KohaEmbed None = new(new HashSet<string>());

    public bool Has(string name) => Names.Contains(name);

    public static ValueTask<KohaEmbed> BindAsync(HttpContext context)
    {
        var asked = context.Request.Headers[Header]
            .SelectMany(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);
        if (asked.Count == 0)
        {
            return ValueTask.FromResult(None);
        }
        var offered = context.GetEndpoint()?.Metadata.GetMetadata<KohaEmbeds>()?.Names ?? [];
        if (asked.FirstOrDefault(name => !offered.Contains(name)) is { } unknown)
        {
            var list = string.Join(", ", offered);
            throw new KohaInvalidQueryException($"/{Header}", $"Not in enum list: {list}.", offered.Count == 0
                ? $"This endpoint offers no {Header}; '{unknown}' is not one."
                : $"{Header} '{unknown}' is not offered here; the embeds are: {list}.");
        }
        return ValueTask.FromResult(new KohaEmbed(asked));
    }
}

/// <summary>The embeds an endpoint offers (endpoint metadata; also what its OpenAPI header enum lists).</summary>
public sealed record KohaEmbeds(IReadOnlyList<string> Names);

public static class KohaEmbedExtensions
{
    public static TBuilder WithKohaEmbeds<TBuilder>(this TBuilder builder, params string[] names) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new KohaEmbeds(names));
}

/// <summary>
/// A request Koha's OpenAPI validation would refuse (an unknown query parameter, a bad <c>q</c>, an embed not
/// offered): answered 400 with Koha's body, <c>errors: [{path, message}]</c> with Koha's own message (clients and
/// Koha's tests match it), beside Fiscus's <c>code</c> and a message that says what to do in <c>error</c>.
/// </summary>
public sealed class KohaInvalidQueryException(string path, string kohaMessage, string detail) : Exception(detail)
{
    public string Path { get; } = path;

    public string KohaMessage { get; } = kohaMessage;
}
