using Fiscus.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Fiscus.Server.Http;

/// <summary>
/// Native error responses: <c>application/problem+json</c> with a stable machine <c>code</c> and the human
/// message in <c>error</c> (the field Koha clients read) as well as in <c>detail</c>; <c>error_code</c> repeats the
/// code under Koha's name for it (Koha's error definition: <c>error</c>, <c>error_code</c>), except that a 404's is
/// <c>not_found</c>, as Koha's <c>render_resource_not_found</c> answers every missing resource (its <c>error</c> says which).
/// </summary>
public static class ApiProblems
{
    public static int StatusOf(FailureKind kind) => kind switch
    {
        FailureKind.Invalid => StatusCodes.Status400BadRequest,
        FailureKind.Forbidden => StatusCodes.Status403Forbidden,
        FailureKind.NotFound => StatusCodes.Status404NotFound,
        FailureKind.Conflict => StatusCodes.Status409Conflict,
        FailureKind.Mismatch => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <remarks>Counted here (the metrics' 4xx counter): an endpoint's own refusal is written by ASP.NET Core's ProblemHttpResult,
    /// not through an <see cref="IErrorShape"/>, which counts the rest.</remarks>
    public static ProblemHttpResult From(Failure failure)
    {
        var status = StatusOf(failure.Kind);
        Metrics.ErrorMetrics.Record(status, failure.Code);
        return TypedResults.Problem(Create(status, failure.Code, failure.Message, failure.Errors));
    }

    public static ProblemHttpResult NotFound(string code, string message) =>
        From(Failure.NotFound(code, message));

    public static ProblemDetails Create(
        int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = ReasonPhrases.GetReasonPhrase(status),
            Detail = message,
        };
        problem.Extensions["code"] = code;
        problem.Extensions["error"] = message;
        problem.Extensions["error_code"] = status == StatusCodes.Status404NotFound ? "not_found" : code;
        if (errors is { Count: > 0 })
        {
            problem.Extensions["errors"] = errors;
        }
        return problem;
    }

    /// <summary>The code used when a response carries none of its own (a 404 for an unknown route, say).</summary>
    public static string DefaultCode(int status) => status switch
    {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        409 => "conflict",
        413 => "body_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        429 => "rate_limited",
        _ when status >= 500 => "internal_error",
        _ => "error",
    };

    /// <summary>Fills <c>code</c> and <c>error</c> on every problem the framework writes by itself.</summary>
    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        var request = context.HttpContext.Request;
        problem.Detail ??= status switch
        {
            404 => $"There is no {request.Method} {request.Path} here.",
            405 => $"{request.Path} does not accept {request.Method}.",
            415 => "Send the request body as application/json.",
            _ => null,
        };
        problem.Extensions.TryAdd("code", DefaultCode(status));
        problem.Extensions.TryAdd("error", problem.Detail ?? problem.Title ?? ReasonPhrases.GetReasonPhrase(status));
        problem.Extensions.TryAdd("error_code", problem.Extensions["code"]);
    }
}
