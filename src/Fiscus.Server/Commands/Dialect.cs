using System.Text.Json;

namespace Fiscus.Server.Commands;

/// <summary>
/// How a family of endpoints speaks to the command runner: the interface the ledger records on its lines, the
/// JSON its answers are written in (null: the native API's), and its names for the commands' fields, so that a
/// refusal names the field the client actually sent. The error shape itself is the endpoint's (<see cref="Http.ErrorShapes"/>).
/// </summary>
public sealed record Dialect(string Interface, JsonSerializerOptions? Json = null, IReadOnlyDictionary<string, string>? WireNames = null)
{
    /// <summary>Fiscus's own REST API and the Koha-style routes.</summary>
    public static Dialect Native { get; } = new("api");
}
