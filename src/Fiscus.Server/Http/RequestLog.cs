using System.Diagnostics;
using Fiscus.Server.Auth;

namespace Fiscus.Server.Http;

/// <summary>
/// One structured log event per request: method, path, status, duration and who asked, so an operator can
/// follow a till's day or a misbehaving integration in the log.
/// </summary>
public sealed partial class RequestLog(RequestDelegate next, ILogger<RequestLog> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var principal = Caller.FromPrincipal(context.User)?.Principal ?? "anonymous";
            Log(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, principal, context.TraceIdentifier);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms for {Principal} ({TraceId})")]
    static partial void Log(ILogger logger, string method, string path, int statusCode, double elapsedMs, string principal, string traceId);
}
