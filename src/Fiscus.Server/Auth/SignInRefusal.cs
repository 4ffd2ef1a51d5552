using System.Globalization;
using System.Reflection;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Fiscus.Server.Auth;

/// <summary>
/// A sign-in turned away before any secret was checked: 429 when the throttle's budget is spent, 503 when too many
/// password hashes are being computed at once. Written in the endpoint's own error shape with <c>Retry-After</c>,
/// as an endpoint's result or, for HTTP Basic (whose authentication handler cannot answer by itself), carried in
/// <see cref="HttpContext.Items"/> to the challenge that <see cref="AuthorizationProblems"/> writes.
/// </summary>
public sealed record SignInRefusal(int Status, string Code, string Message, int RetryAfterSeconds)
    : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    /// <summary>HttpContext item holding the refusal of a Basic sign-in.</summary>
    public const string Item = "fiscus.sign_in_refusal";

    int? IStatusCodeHttpResult.StatusCode => Status;

    public static SignInRefusal Throttled(int retryAfterSeconds) => new(StatusCodes.Status429TooManyRequests, "rate_limited",
        string.Create(CultureInfo.InvariantCulture,
            $"Too many failed sign-ins from this address or for this account; try again in {retryAfterSeconds} seconds."),
        retryAfterSeconds);

    /// <summary>
    /// 503, not 429: the server is short of capacity for password hashing, whoever is asking; like Fiscus's other
    /// <c>busy</c> answers, the client should simply send the same request again shortly.
    /// </summary>
    public static SignInRefusal Busy { get; } = new(StatusCodes.Status503ServiceUnavailable, "busy",
        "Fiscus is checking too many passwords at once; try again in a second.", 1);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return ErrorShapes.For(httpContext).WriteAsync(httpContext, Status, Code, Message, null);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(ProblemDetails), ["application/problem+json"]));
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(ProblemDetails), ["application/problem+json"]));
    }
}
