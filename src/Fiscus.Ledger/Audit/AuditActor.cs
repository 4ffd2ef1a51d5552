namespace Fiscus.Ledger.Audit;

/// <summary>Who did something and from where, as the audit log records it.</summary>
/// <param name="Actor">How the log names the actor: <c>user:4 (jdoe)</c>, <c>client:2 (kiosk)</c>, <c>cli (root)</c>.</param>
/// <param name="RemoteAddress">Where the request came from (an IP address, <c>local</c> for the command line).</param>
/// <param name="RequestId">The transport's id of the request, to find it in the logs.</param>
public sealed record AuditActor(string Actor, long? UserId, long? ApiClientId, string? RemoteAddress, string? RequestId)
{
    /// <summary>The command line, run by an operator on the server itself.</summary>
    public static AuditActor CommandLine() => new($"cli ({Environment.UserName})", null, null, "local", null);

    /// <summary>Fiscus itself (first-start seeding).</summary>
    public static AuditActor System { get; } = new("system", null, null, null, null);
}
