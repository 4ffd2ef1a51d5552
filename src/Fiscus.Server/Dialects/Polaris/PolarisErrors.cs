using System.Text.Json;
using Fiscus.Server.Http;

namespace Fiscus.Server.Dialects.Polaris;

/// <summary>
/// Polaris.ApplicationServices is an ASP.NET Web API service: its errors are a JSON object with a
/// <c>Message</c> (Web API's HttpError). Fiscus adds its stable <c>Code</c> beside it.
/// </summary>
public sealed class PolarisErrors : IErrorShape
{
    public static readonly PolarisErrors Instance = new();

    public async Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, new PolarisError(message, code), PolarisJson.Options, context.RequestAborted);
    }

    sealed record PolarisError(string Message, string Code);
}

/// <summary>Polaris' JSON: PascalCase names exactly as declared.</summary>
public static class PolarisJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = null,
    };
}
