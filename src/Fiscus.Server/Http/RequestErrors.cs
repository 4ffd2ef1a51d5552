using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Fiscus.Ledger;
using Fiscus.Ledger.Database;
using Npgsql;

namespace Fiscus.Server.Http;

/// <summary>
/// Turns exceptions into answers. Whatever a client sends (broken JSON, wrong types, unknown or missing
/// fields, an oversize body, a bad query parameter) ends as a 4xx that names the problem; only a genuine
/// fault of ours is a 500, and it is logged with the trace id the client sees.
/// </summary>
public sealed partial class RequestErrors(ILogger<RequestErrors> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return true; // the client went away; nobody is listening for an answer
        }
        if (exception is KohaUnknownQueryParametersException unknown)
        {
            // Koha's body for it is a bare array (no room for a code): the parameter is named in each path.
            Metrics.ErrorMetrics.Record(StatusCodes.Status400BadRequest, "unknown_query_parameter");
            httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
            await httpContext.Response.WriteAsJsonAsync(
                unknown.Errors.Select(error => new { path = error.Path, message = error.Message }),
                (JsonSerializerOptions?)null, "application/json", cancellationToken);
            return true;
        }
        if (exception is KohaInvalidQueryException invalid)
        {
            await WriteKohaInvalidQueryAsync(httpContext, invalid);
            return true;
        }
        var (status, code, message, field) = Describe(exception, httpContext);
        if (status == 503)
        {
            httpContext.Response.Headers.RetryAfter = "1";
            // The database's state, not a fault of ours: one line without a stack trace (a failover answers hundreds of these).
            logger.LogWarning("Busy or unavailable on {Method} {Path}: {Code} ({Reason})", httpContext.Request.Method, httpContext.Request.Path,
                code, Reasons(exception));
        }
        else if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }
        var errors = field is null ? null : new Dictionary<string, string[]> { [field] = [message] };
        await ErrorShapes.For(httpContext).WriteAsync(httpContext, status, code, message, errors);
        return true;
    }

    /// <summary>The exception's message and its causes', in one line.</summary>
    static string Reasons(Exception exception)
    {
        var reasons = new List<string>();
        for (var e = exception; e is not null && reasons.Count < 4; e = e.InnerException)
        {
            reasons.Add(e.Message.TrimEnd('.'));
        }
        return string.Join(": ", reasons.Distinct());
    }

    /// <summary>Koha's OpenAPI validation body, <c>errors: [{path, message}]</c> and <c>status</c>, as problem+json.</summary>
    static async Task WriteKohaInvalidQueryAsync(HttpContext httpContext, KohaInvalidQueryException invalid)
    {
        Metrics.ErrorMetrics.Record(StatusCodes.Status400BadRequest, "invalid_query");
        httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        var problem = ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid_query", invalid.Message);
        problem.Extensions["errors"] = new[] { new { path = invalid.Path, message = invalid.KohaMessage } };
        var context = new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem };
        if (!await httpContext.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(context))
        {
            await httpContext.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", httpContext.RequestAborted);
        }
    }

    /// <param name="exception">What went wrong.</param>
    /// <param name="context">The request, when there is one: its JSON options name the fields a misspelt one could have been,
    /// and its endpoint may say what its numbers mean (<see cref="WholeNumberHint"/>).</param>
    internal static (int Status, string Code, string Message, string? Field) Describe(Exception exception, HttpContext? context = null) => exception switch
    {
        BadHttpRequestException { InnerException: JsonException json } => DescribeJson(json, context),
        BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            (413, "body_too_large", "The request body is larger than this server accepts.", null),
        BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status415UnsupportedMediaType =>
            (415, "unsupported_media_type", "Send the request body as application/json.", null),
        BadHttpRequestException bad when bad.Message.Contains("no body was provided", StringComparison.Ordinal) =>
            (400, "missing_body", "A JSON request body is required.", null),
        BadHttpRequestException bad when BindFailure().Match(bad.Message) is { Success: true } bind =>
            (400, "invalid_parameter", $"Parameter '{WireName(bind.Groups[1].Value)}' cannot be '{bind.Groups[2].Value}'.",
                WireName(bind.Groups[1].Value)),
        BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == 400 ? "bad_request" : ApiProblems.DefaultCode(bad.StatusCode),
            bad.Message, null),
        PostgresException pg when ConstraintFailures.TryDescribe(pg) is { } known => known,
        // Text PostgreSQL cannot store (a NUL character) that reached it through a field no check covered.
        PostgresException { SqlState: PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter } =>
            (400, "invalid_text", "The request holds text that cannot be stored (a NUL character).", null),
        // Contention that outlasted the retries: nothing was written, the same request later will go through.
        RetryLaterException busy => (503, "busy", busy.Message, null),
        PostgresException pg when Transactions.IsRetryable(pg) =>
            (503, "busy", "The ledger is busy with conflicting writes; nothing was recorded, send the request again.", null),
        // The connection broke during COMMIT and the command runner could not find out, within its window, whether the write
        // was kept (or the write was not a command the runner can ask about): a retry must carry the same key.
        CommitOutcomeUnknownException when context is null || IsCommand(context) =>
            (503, "outcome_unknown", "The ledger database stopped answering while this request was being committed; it may or may not " +
                "have been recorded. Send the same request again with the same Idempotency-Key (or external_id) to get its outcome; " +
                "without one, look before writing it again.", null),
        // Any other write commits through Transactions too (a client, a user, a PIN, a payment method), but takes no key to ask with.
        CommitOutcomeUnknownException =>
            (503, "outcome_unknown", "The database stopped answering while this change was being committed; it may or may not have " +
                "been made. Look before sending it again.", null),
        // The database cannot be reached or the connection pool is exhausted: the service, not the request, is at fault.
        // Nothing was committed (a break during COMMIT is the arm above).
        _ when Transactions.IsDatabaseUnavailable(exception) =>
            (503, "database_unavailable", "The ledger database is not answering; nothing was recorded. Try again shortly (with the same Idempotency-Key).", null),
        _ => (500, "internal_error", "Something went wrong on our side. The error is logged; quote the trace id when reporting it.", null),
    };

    /// <summary>The endpoint runs through the command runner (its handler takes the command call), as the API document says.</summary>
    static bool IsCommand(HttpContext context) =>
        context.GetEndpoint()?.Metadata.OfType<System.Reflection.MethodInfo>()
            .Any(m => m.GetParameters().Any(p => p.ParameterType == typeof(Commands.CommandCall))) == true;

    static (int, string, string, string?) DescribeJson(JsonException json, HttpContext? context)
    {
        var field = FieldName(json.Path);
        var text = json.Message;
        // The reader found text it cannot decode: invalid UTF-8, or a lone UTF-16 surrogate escape such as \ud800.
        if (json.InnerException is InvalidOperationException { Message: var decoding }
            && (decoding.Contains("UTF-8", StringComparison.Ordinal) || decoding.Contains("UTF-16", StringComparison.Ordinal)))
        {
            return (400, "malformed_json", "The request body holds text that is not valid UTF-8 (or a lone surrogate escape such as \\ud800).", null);
        }
        if (UnmappedField().Match(text) is { Success: true } unmapped)
        {
            var known = KnownFields(context, unmapped.Groups[2].Value);
            return (400, "unknown_field", $"Unknown field '{field}'.{Suggestions.DidYouMean(unmapped.Groups[1].Value, known)}", field);
        }
        if (MissingRequired().Match(text) is { Success: true } missing)
        {
            var names = Quoted().Matches(missing.Groups[1].Value).Select(m => m.Groups[1].Value).ToArray();
            var fieldPath = Join(field, names.FirstOrDefault() ?? "");
            return (400, "missing_field", $"Missing required field '{fieldPath}'.", fieldPath);
        }
        if (text.Contains("doesn't allow null values", StringComparison.Ordinal) ||
            text.Contains("does not allow null values", StringComparison.Ordinal))
        {
            return (400, "null_field", $"Field '{field}' must not be null.", field);
        }
        if (text.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            // A decimal, a string or an out-of-range number where a whole number belongs: say so, and what the number means.
            if (field.Length > 0 && IsWholeNumber(context, text, json.Path))
            {
                var hint = context?.GetEndpoint() ?? context?.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
                return (400, "invalid_type", hint?.Metadata.GetMetadata<WholeNumberHint>() is { } wholeNumber && wholeNumber.Fields.Contains(field)
                    ? $"Field '{field}' {wholeNumber.Text}"
                    : $"Field '{field}' must be a whole number (no fraction, no quotes).", field);
            }
            return (400, "invalid_type", $"Field '{field}' has the wrong type.", field);
        }
        var position = json.LineNumber is { } line ? $" (line {line + 1}, byte {json.BytePositionInLine + 1})" : "";
        return (400, "malformed_json", $"The request body is not valid JSON{position}.", null);
    }

    /// <summary>
    /// The JSON names of the type System.Text.Json could not map a field to (it names the type in its message, nested
    /// ones included), as the request's own options spell them; none when the type or the options are not to be had.
    /// </summary>
    static IEnumerable<string> KnownFields(HttpContext? context, string typeName) =>
        Properties(context, typeName)?.Select(p => p.Name).ToList() ?? [];

    /// <summary>
    /// Whether the value that could not be converted was meant for a whole number. System.Text.Json names either that
    /// number type or (for a record bound through its constructor) the type holding the field, whose property then says.
    /// </summary>
    static bool IsWholeNumber(HttpContext? context, string message, string? path)
    {
        if (ConvertedTo().Match(message) is not { Success: true } converted)
        {
            return false;
        }
        var target = converted.Groups[1].Value;
        if (!target.StartsWith("System.", StringComparison.Ordinal))
        {
            var leaf = LeafName().Match(path ?? "").Groups[1].Value;
            var property = Properties(context, target)?.FirstOrDefault(p => p.Name == leaf)?.PropertyType;
            target = property is null ? "" : (Nullable.GetUnderlyingType(property) ?? property).FullName ?? "";
        }
        return target is "System.Int64" or "System.Int32" or "System.Int16" or "System.Byte" or "System.SByte" or "System.UInt16"
            or "System.UInt32" or "System.UInt64" or "System.Nullable`1[System.Int64]" or "System.Nullable`1[System.Int32]";
    }

    /// <summary>A request type's JSON properties as the request's own options see them, found by the name System.Text.Json gives it.</summary>
    static IList<System.Text.Json.Serialization.Metadata.JsonPropertyInfo>? Properties(HttpContext? context, string typeName)
    {
        var options = context?.RequestServices.GetService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>()?.Value.SerializerOptions;
        // The server's own assembly is "fiscus" once published (fiscus.dll), "Fiscus.Server" in a build.
        var type = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name?.StartsWith("Fiscus", StringComparison.OrdinalIgnoreCase) == true)
            .Select(a => a.GetType(typeName, throwOnError: false))
            .FirstOrDefault(t => t is not null);
        if (options is null || type is null)
        {
            return null;
        }
        try
        {
            return options.GetTypeInfo(type).Properties;
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Query and route names are the snake_case of the handler's parameter names (canBeSold → can_be_sold).</summary>
    static string WireName(string parameter) => JsonNamingPolicy.SnakeCaseLower.ConvertName(parameter);

    /// <summary>"$.items[0].price" → "items[0].price"; "$" → "".</summary>
    static string FieldName(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "";
        }
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    static string Join(string parent, string child) => parent.Length == 0 ? child : $"{parent}.{child}";

    // The framework's message for a query or route value of the wrong type: Failed to bind parameter "int x" from "y".
    [GeneratedRegex("^Failed to bind parameter \"[^\"]* ([^ \"]+)\" from \"(.*)\"\\.$")]
    private static partial Regex BindFailure();

    // System.Text.Json's message for a field the type does not have: the field's JSON name, then the type's full name.
    [GeneratedRegex(@"^The JSON property '(.*)' could not be mapped to any \.NET member contained in type '([^']+)'\.")]
    private static partial Regex UnmappedField();

    [GeneratedRegex(@"^The JSON value could not be converted to (\S+)\. Path: ")]
    private static partial Regex ConvertedTo();

    // The last property name of a JSON path: $.items[0].amount → amount.
    [GeneratedRegex(@"\.([^.\[\]]+)(?:\[\d+\])*$")]
    private static partial Regex LeafName();

    [GeneratedRegex("missing required properties including: (.*)$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex Quoted();
}

/// <summary>
/// Endpoint metadata: what a whole-number field of this endpoint's body is, said when a client sends a decimal or a
/// string there (the POS shifts dialect's amounts: "must be an integer number of minor units ...").
/// </summary>
/// <param name="Fields">The body's fields (JSON paths as errors name them) the text is about.</param>
/// <param name="Text">What follows "Field 'x' " in the message.</param>
public sealed record WholeNumberHint(IReadOnlySet<string> Fields, string Text);
