using Microsoft.AspNetCore.Http.Features;

namespace Fiscus.Server.Http;

/// <summary>
/// Refuses oversize bodies up front from Content-Length (413 with a problem body) and caps streamed bodies
/// through the server's own limit, so no handler ever buffers more than FISCUS_MAX_BODY_BYTES.
/// </summary>
public sealed class BodySizeLimit(RequestDelegate next, long maxBodyBytes)
{
    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        if (context.Request.ContentLength > maxBodyBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = ApiProblems.Create(413, "body_too_large",
                    $"The request body is larger than the {maxBodyBytes} bytes this server accepts."),
            });
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBodyBytes;
        }
        await next(context);
    }
}
