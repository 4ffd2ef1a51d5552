using Fiscus.Ledger.Audit;
using Fiscus.Server.Auth;

namespace Fiscus.Server.Audit;

/// <summary>The audit log's actor for an HTTP request: the caller, its address and the request's trace id.</summary>
public static class AuditActors
{
    public static AuditActor From(Caller caller, HttpContext context) =>
        new(caller.Actor, caller.UserId, caller.ApiClientId, RemoteAddressOf(context), context.TraceIdentifier);

    /// <summary>A request with no authenticated caller yet (a login attempt).</summary>
    public static AuditActor Anonymous(string name, HttpContext context) =>
        new(name, null, null, RemoteAddressOf(context), context.TraceIdentifier);

    static string? RemoteAddressOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
