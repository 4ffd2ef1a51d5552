using Fiscus.Server.Auth;

namespace Fiscus.Server.Audit;

/// <summary>Who did something and from where, as the audit log records it.</summary>
public sealed record AuditActor(string Actor, long? UserId, long? ApiClientId, string? RemoteAddress, string? RequestId)
{
    public static AuditActor From(Caller caller, HttpContext context) =>
        new(caller.Actor, caller.UserId, caller.ApiClientId, RemoteAddressOf(context), context.TraceIdentifier);

    /// <summary>A request with no authenticated caller yet (a login attempt).</summary>
    public static AuditActor Anonymous(string name, HttpContext context) =>
        new(name, null, null, RemoteAddressOf(context), context.TraceIdentifier);

    /// <summary>The command line, run by an operator on the server itself.</summary>
    public static AuditActor CommandLine() => new($"cli ({Environment.UserName})", null, null, "local", null);

    /// <summary>Fiscus itself (first-start seeding).</summary>
    public static AuditActor System { get; } = new("system", null, null, null, null);

    static string? RemoteAddressOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
