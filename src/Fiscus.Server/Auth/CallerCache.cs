using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Fiscus.Server.Auth;

/// <summary>
/// Remembers for a few seconds who a credential (a bearer token or Basic username:password) stands for, so
/// a busy kiosk does not cost a database round trip (or, for Basic, a PBKDF2 hash) on every request.
/// </summary>
/// <remarks>
/// Anything that changes who may do what (logout, disabling, password reset, role or scope change, secret
/// rotation) clears this instance's cache at once; other instances behind a load balancer follow within
/// <see cref="Lifetime"/>, the "stops working within seconds" the design allows. Entries never outlive the
/// token itself.
/// </remarks>
public sealed class CallerCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);
    const int MaxEntries = 10_000;

    readonly ConcurrentDictionary<string, (Caller Caller, DateTimeOffset ValidUntil)> entries = new(StringComparer.Ordinal);

    public bool TryGet(string kind, string credential, out Caller caller)
    {
        caller = null!;
        if (!entries.TryGetValue(Key(kind, credential), out var entry))
        {
            return false;
        }
        if (entry.ValidUntil <= time.GetUtcNow())
        {
            entries.TryRemove(Key(kind, credential), out _);
            return false;
        }
        caller = entry.Caller;
        return true;
    }

    public void Add(string kind, string credential, Caller caller, DateTimeOffset? expiresAt = null)
    {
        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }
        var until = time.GetUtcNow() + Lifetime;
        if (expiresAt is { } expiry && expiry < until)
        {
            until = expiry;
        }
        entries[Key(kind, credential)] = (caller, until);
    }

    /// <summary>Forgets everything: called whenever a user's or client's rights or credentials change.</summary>
    public void Clear() => entries.Clear();

    static string Key(string kind, string credential) =>
        kind + ":" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(credential)));
}
