using Microsoft.AspNetCore.Http.Features;

namespace Fiscus.Server.Http;

/// <summary>
/// Refuses oversize bodies up front from Content-Length (413 with a problem body) and caps streamed bodies
/// through the server's own limit, so no handler ever buffers more than FISCUS_MAX_BODY_BYTES.
/// </summary>
public sealed class BodySizeLimit(RequestDelegate next, long maxBodyBytes)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > maxBodyBytes)
        {
            await ErrorShapes.For(context).WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "body_too_large",
                $"The request body is larger than the {maxBodyBytes} bytes this server accepts.", null);
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBodyBytes;
        }
        await next(context);
    }
}
