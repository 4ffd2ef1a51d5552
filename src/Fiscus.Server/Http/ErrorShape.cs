using Microsoft.AspNetCore.Diagnostics;

namespace Fiscus.Server.Http;

/// <summary>
/// How an endpoint's errors look on the wire. Native endpoints answer problem+json; a dialect (Polaris,
/// FOLIO, POS shifts) attaches its own shape as endpoint metadata, and every place that writes an error
/// (validation, authentication, authorization, the exception handler, idempotency) asks for it.
/// </summary>
public interface IErrorShape
{
    Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors);
}

public static class ErrorShapes
{
    /// <summary>
    /// The endpoint's own error shape, or the native one. The exception handler clears the endpoint before it
    /// runs, so the original one is looked up on its feature.
    /// </summary>
    public static IErrorShape For(HttpContext context)
    {
        var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        return new Counted(endpoint?.Metadata.GetMetadata<IErrorShape>() ?? ProblemShape.Instance);
    }

    /// <summary>Every error written in a shape is counted by its code (the metrics' 4xx and 503 counters).</summary>
    sealed class Counted(IErrorShape shape) : IErrorShape
    {
        public Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors)
        {
            Metrics.ErrorMetrics.Record(status, code);
            return shape.WriteAsync(context, status, code, message, errors);
        }
    }

    public static TBuilder WithErrorShape<TBuilder>(this TBuilder builder, IErrorShape shape) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(shape);

    /// <summary>An error as an <see cref="IResult"/> in the endpoint's shape.</summary>
    public static IResult Result(int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new ShapedError(status, code, message, errors);

    sealed class ShapedError(int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext) => For(httpContext).WriteAsync(httpContext, status, code, message, errors);
    }
}

/// <summary>The native shape: application/problem+json with <c>code</c> and <c>error</c>.</summary>
public sealed class ProblemShape : IErrorShape
{
    public static readonly ProblemShape Instance = new();

    public async Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetailsContext { HttpContext = context, ProblemDetails = ApiProblems.Create(status, code, message, errors) };
        if (!await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(problem))
        {
            // The client's Accept leaves JSON out (text/html, text/csv ...), so no writer volunteers; the error still has
            // to be said, and problem+json is how this API says it (as ASP.NET Core's own ProblemHttpResult falls back).
            ApiProblems.Complete(problem);
            await context.Response.WriteAsJsonAsync(problem.ProblemDetails, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json",
                context.RequestAborted);
        }
    }
}
