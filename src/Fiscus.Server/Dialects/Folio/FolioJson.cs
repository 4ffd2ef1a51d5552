using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Fiscus.Server.Http;

namespace Fiscus.Server.Dialects.Folio;

/// <summary>FOLIO's JSON: camelCase, absent rather than null for fields a record does not have.</summary>
public static class FolioJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IResult Json<T>(int status, T value) => Results.Json(value, Options, statusCode: status);

    public static IResult Text(int status, string text) => Results.Text(text, "text/plain; charset=utf-8", Encoding.UTF8, status);
}

public sealed record FolioMetadata(
    DateTime CreatedDate, string? CreatedByUserId, string? CreatedByUsername, DateTime? UpdatedDate, string? UpdatedByUserId, string? UpdatedByUsername);

/// <summary>A payment method in mod-feesfines' <c>paymentdata.json</c> shape.</summary>
public sealed record FolioPayment(string NameMethod, bool AllowedRefundMethod, FolioMetadata Metadata, string? OwnerId, string Id);

public sealed record FolioFacetValue(long Count, string Value);

public sealed record FolioFacet(string Type, IReadOnlyList<FolioFacetValue> FacetValues);

public sealed record FolioResultInfo(long TotalRecords, bool TotalRecordsEstimated, IReadOnlyList<FolioFacet> Facets, IReadOnlyList<object> Diagnostics);

/// <summary>A fee/fine owner in mod-feesfines' <c>ownerdata.json</c> shape (Fiscus keeps no description or service points).</summary>
public sealed record FolioOwner(string Owner, FolioMetadata Metadata, string Id);

/// <summary><c>ownerdataCollection.json</c>.</summary>
public sealed record FolioOwnerCollection(IReadOnlyList<FolioOwner> Owners, long TotalRecords);

/// <summary><c>paymentdataCollection.json</c>.</summary>
public sealed record FolioPaymentCollection(IReadOnlyList<FolioPayment> Payments, long TotalRecords, FolioResultInfo ResultInfo);

public sealed record FolioParameter(string Key, string Value);

/// <summary>One error of <c>raml-util/schemas/error.schema</c>, as RMB's validation writes it.</summary>
public sealed record FolioError(string Message, string Type, string Code, IReadOnlyList<FolioParameter> Parameters)
{
    public static FolioError NotNull(string key) =>
        new("must not be null", "1", "jakarta.validation.constraints.NotNull.message", [new(key, "null")]);

    public static FolioError Pattern(string key, string pattern, string value) =>
        new($"must match \"{pattern}\"", "1", "jakarta.validation.constraints.Pattern.message", [new(key, value)]);

    public static FolioError Invalid(string key, string message, string value, string code = "-1") => new(message, "1", code, [new(key, value)]);
}

public sealed record FolioErrors(IReadOnlyList<FolioError> Errors)
{
    public IResult ToResult() => FolioJson.Json(422, this);
}

/// <summary>
/// mod-feesfines' error bodies for everything but validation (which is the 422 <c>errors</c> JSON): text/plain,
/// <c>unable to {action} -- {reason}</c>, <c>payment not found</c>, <c>version conflict</c>, and for a fault of
/// ours <c>internal server error, contact administrator</c>.
/// </summary>
public sealed class FolioTextErrors(string action, string? unauthorizedAction = null, string record = "payment") : IErrorShape
{
    public async Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors)
    {
        // Only an optimistic-locking conflict is FOLIO's 409; any other refusal of the data (a name taken by a request
        // that raced past the check) is a validation failure.
        if (status == 422 || (status == 409 && code != "version_conflict"))
        {
            var list = errors is { Count: > 0 }
                ? errors.SelectMany(e => e.Value.Select(v => FolioError.Invalid(e.Key, v, "", code))).ToList()
                : [new FolioError(message, "1", code, [])];
            context.Response.StatusCode = 422;
            context.Response.ContentType = "application/json; charset=utf-8";
            await System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, new FolioErrors(list), FolioJson.Options, context.RequestAborted);
            return;
        }
        var text = status switch
        {
            404 => $"{record} not found",
            409 => "version conflict",
            401 => $"unable to {unauthorizedAction ?? action} -- unauthorized",
            503 => $"unable to {action} -- {message}",
            >= 500 => "internal server error, contact administrator",
            _ => $"unable to {action} -- {Describe(message, errors)}",
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    static string Describe(string message, IReadOnlyDictionary<string, string[]>? errors) =>
        errors is { Count: > 0 } ? string.Join("; ", errors.SelectMany(e => e.Value.Select(v => $"{e.Key}: {v}"))) : message;
}

/// <summary>
/// Reads a payment method body as RMB does, against <c>paymentdata.json</c> (<c>additionalProperties: false</c>,
/// <c>nameMethod</c> required, UUID patterns, the metadata schema), collecting every violation for one 422.
/// Malformed JSON is not a validation failure but a 400 naming the line and column.
/// </summary>
public static class FolioPaymentBody
{
    public const string UuidPattern = "^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[1-5][a-fA-F0-9]{3}-[89abAB][a-fA-F0-9]{3}-[a-fA-F0-9]{12}$";
    const string AnyUuidPattern = "^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$";
    public const int MaxNameLength = 200;

    public sealed record Input(string? NameMethod, bool? AllowedRefundMethod, Guid? OwnerId, Guid? Id);

    /// <summary>The body as JSON, or the text of a 400 (<c>malformed JSON at line:column</c>).</summary>
    public static async Task<(JsonDocument? Document, string? Malformed)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, "Content-Type must be application/json");
        }
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 32 }, cancellationToken);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return (null, "the body must be a JSON object");
            }
            if (!TextIsValid(document.RootElement))
            {
                document.Dispose();
                return (null, "malformed JSON: it holds text that is not valid UTF-8 (or a lone surrogate escape such as \\ud800)");
            }
            return (document, null);
        }
        catch (JsonException e)
        {
            return (null, $"malformed JSON at {(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}");
        }
    }

    /// <summary>
    /// The parser checks structure but decodes strings only when they are read: invalid UTF-8 or a lone UTF-16
    /// surrogate escape is found here, up front, rather than as an exception half-way through validation.
    /// </summary>
    static bool TextIsValid(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        if (!TextIsValid(property.Value))
                        {
                            return false;
                        }
                    }
                    return true;
                case JsonValueKind.Array:
                    return element.EnumerateArray().All(TextIsValid);
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static Input Validate(JsonElement body, List<FolioError> errors)
    {
        string? name = null;
        bool? allowedRefund = null;
        Guid? owner = null, id = null;
        var seenName = false;
        foreach (var property in body.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "nameMethod":
                    seenName = true;
                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        errors.Add(FolioError.NotNull("nameMethod"));
                    }
                    else if (value.ValueKind != JsonValueKind.String)
                    {
                        errors.Add(FolioError.Invalid("nameMethod", "must be a string", value.GetRawText()));
                    }
                    else if (string.IsNullOrWhiteSpace(name = value.GetString()!.Trim()) || name.Contains('\0', StringComparison.Ordinal))
                    {
                        errors.Add(FolioError.Invalid("nameMethod", "must not be blank", value.GetString()!, "jakarta.validation.constraints.NotBlank.message"));
                    }
                    else if (name.Length > MaxNameLength)
                    {
                        errors.Add(FolioError.Invalid("nameMethod", $"size must be between 1 and {MaxNameLength}", name,
                            "jakarta.validation.constraints.Size.message"));
                    }
                    break;
                case "allowedRefundMethod":
                    allowedRefund = Boolean("allowedRefundMethod", value, errors);
                    break;
                case "ownerId":
                    owner = Uuid("ownerId", value, UuidPattern, errors);
                    break;
                case "id":
                    id = Uuid("id", value, UuidPattern, errors);
                    break;
                case "metadata":
                    Metadata(value, errors);
                    break;
                default:
                    errors.Add(FolioError.Invalid(property.Name, $"Unrecognized field \"{property.Name}\"", Short(value.GetRawText())));
                    break;
            }
        }
        if (!seenName)
        {
            errors.Add(FolioError.NotNull("nameMethod"));
        }
        return new Input(name, allowedRefund, owner, id);
    }

    /// <summary>The metadata is the server's to write, but a body that carries it must still match its schema.</summary>
    static void Metadata(JsonElement value, List<FolioError> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(FolioError.Invalid("metadata", "must be an object", Short(value.GetRawText())));
            return;
        }
        var hasCreated = false;
        foreach (var property in value.EnumerateObject())
        {
            var key = "metadata." + property.Name;
            switch (property.Name)
            {
                case "createdDate" or "updatedDate":
                    hasCreated |= property.Name == "createdDate";
                    if (property.Value.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(property.Value.GetString(),
                            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
                    {
                        errors.Add(FolioError.Invalid(key, "must be a date-time", Short(property.Value.GetRawText())));
                    }
                    break;
                case "createdByUserId" or "updatedByUserId":
                    Uuid(key, property.Value, AnyUuidPattern, errors);
                    break;
                case "createdByUsername" or "updatedByUsername":
                    if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    {
                        errors.Add(FolioError.Invalid(key, "must be a string", Short(property.Value.GetRawText())));
                    }
                    break;
                default:
                    errors.Add(FolioError.Invalid(key, $"Unrecognized field \"{property.Name}\"", Short(property.Value.GetRawText())));
                    break;
            }
        }
        if (!hasCreated)
        {
            errors.Add(FolioError.NotNull("metadata.createdDate"));
        }
    }

    /// <summary>
    /// A boolean as FOLIO's Jackson-based modules read one: JSON <c>true</c>/<c>false</c>, or the strings <c>"true"</c> and
    /// <c>"false"</c>, which FOLIO's settings UI sends once a checkbox has been edited. Only those two spellings, lower case
    /// as the UI writes them (Jackson would also take "True"/"TRUE"; nothing FOLIO sends needs them); any other string
    /// stays a 422.
    /// </summary>
    static bool? Boolean(string key, JsonElement value, List<FolioError> errors)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean();
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String when value.ValueEquals("true"):
                return true;
            case JsonValueKind.String when value.ValueEquals("false"):
                return false;
            default:
                errors.Add(FolioError.Invalid(key, "must be a boolean (true or false)", Short(value.GetRawText())));
                return null;
        }
    }

    static Guid? Uuid(string key, JsonElement value, string pattern, List<FolioError> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(FolioError.Invalid(key, "must be a string", Short(value.GetRawText())));
            return null;
        }
        var text = value.GetString()!;
        // The schema's pattern ends in $, which in .NET also matches before a final newline; FOLIO (Java's matches())
        // refuses "...\n", so the whole text must match here too. The error still quotes the schema's own pattern.
        var whole = pattern.EndsWith('$') ? pattern[..^1] + @"\z" : pattern;
        if (!Regex.IsMatch(text, whole, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)))
        {
            errors.Add(FolioError.Pattern(key, pattern, Short(text)));
            return null;
        }
        return Guid.Parse(text);
    }

    static string Short(string text) => text.Length > 200 ? text[..200] + "..." : text;
}
