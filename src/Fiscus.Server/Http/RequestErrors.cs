using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
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
            httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
            await httpContext.Response.WriteAsJsonAsync(
                unknown.Names.Select(name => new { path = $"/query/{name}", message = KohaUnknownQueryParametersException.KohaMessage }),
                (JsonSerializerOptions?)null, "application/json", cancellationToken);
            return true;
        }
        if (exception is KohaInvalidQueryException invalid)
        {
            await WriteKohaInvalidQueryAsync(httpContext, invalid);
            return true;
        }
        var (status, code, message, field) = Describe(exception);
        if (status == 503)
        {
            httpContext.Response.Headers.RetryAfter = "1";
            logger.LogWarning(exception, "Busy or unavailable on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }
        else if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }
        var errors = field is null ? null : new Dictionary<string, string[]> { [field] = [message] };
        await ErrorShapes.For(httpContext).WriteAsync(httpContext, status, code, message, errors);
        return true;
    }

    /// <summary>Koha's OpenAPI validation body, <c>errors: [{path, message}]</c> and <c>status</c>, as problem+json.</summary>
    static async Task WriteKohaInvalidQueryAsync(HttpContext httpContext, KohaInvalidQueryException invalid)
    {
        httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        var problem = ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid_query", invalid.Message);
        problem.Extensions["errors"] = new[] { new { path = invalid.Path, message = invalid.KohaMessage } };
        var context = new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem };
        if (!await httpContext.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(context))
        {
            await httpContext.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", httpContext.RequestAborted);
        }
    }

    internal static (int Status, string Code, string Message, string? Field) Describe(Exception exception) => exception switch
    {
        BadHttpRequestException { InnerException: JsonException json } => DescribeJson(json),
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
        // The database cannot be reached or the connection pool is exhausted: the service, not the request, is at fault.
        // If it broke mid-commit the write may have landed: a retry with the same Idempotency-Key is safe either way.
        _ when DatabaseUnavailable(exception) =>
            (503, "database_unavailable", "The ledger database is not answering; try again shortly (with the same Idempotency-Key).", null),
        _ => (500, "internal_error", "Something went wrong on our side. The error is logged; quote the trace id when reporting it.", null),
    };

    /// <summary>
    /// The database, not the request, is missing: it cannot be reached, is shutting down or starting, has no
    /// connection slot left, or our pool is exhausted. Not a slow query or a lock wait that timed out, and not any
    /// other error PostgreSQL calls transient: those may be faults of ours, stay 500s and are logged as errors.
    /// </summary>
    static bool DatabaseUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or IOException } => true,
        NpgsqlException npgsql => npgsql.Message.StartsWith("The connection pool has been exhausted", StringComparison.Ordinal),
        _ => false,
    };

    static (int, string, string, string?) DescribeJson(JsonException json)
    {
        var field = FieldName(json.Path);
        var text = json.Message;
        // The reader found text it cannot decode: invalid UTF-8, or a lone UTF-16 surrogate escape such as \ud800.
        if (json.InnerException is InvalidOperationException { Message: var decoding }
            && (decoding.Contains("UTF-8", StringComparison.Ordinal) || decoding.Contains("UTF-16", StringComparison.Ordinal)))
        {
            return (400, "malformed_json", "The request body holds text that is not valid UTF-8 (or a lone surrogate escape such as \\ud800).", null);
        }
        if (text.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return (400, "unknown_field", $"Unknown field '{field}'.", field);
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
            return (400, "invalid_type", $"Field '{field}' has the wrong type.", field);
        }
        var position = json.LineNumber is { } line ? $" (line {line + 1}, byte {json.BytePositionInLine + 1})" : "";
        return (400, "malformed_json", $"The request body is not valid JSON{position}.", null);
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

    [GeneratedRegex("missing required properties including: (.*)$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex Quoted();
}
