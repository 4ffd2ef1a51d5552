using Fiscus.Ledger.Commands;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Npgsql;

namespace Fiscus.Server.Sip2;

/// <summary>What every SIP2 connection uses: the database, the one command runner, the login store, the settings.</summary>
public sealed class Sip2Services(
    NpgsqlDataSource db, CommandRunner runner, SipLogins logins, Passwords passwords, FiscusOptions fiscus, Sip2Options options,
    Sip2LoginThrottle throttle, TimeProvider time, ILogger<Sip2Session> logger)
{
    public NpgsqlDataSource Db { get; } = db;
    public CommandRunner Runner { get; } = runner;
    public SipLogins Logins { get; } = logins;
    public Passwords Passwords { get; } = passwords;
    public FiscusOptions Fiscus { get; } = fiscus;
    public Sip2Options Options { get; } = options;
    public Sip2LoginThrottle Throttle { get; } = throttle;
    public TimeProvider Time { get; } = time;
    public ILogger<Sip2Session> Logger { get; } = logger;
}

/// <summary>
/// Failed SIP logins per address and login name: after <see cref="MaxFailures"/> in a minute, that login's sign-ins from that
/// address are refused unchecked until the minute is over, so a kiosk password cannot be guessed at socket speed, while other
/// kiosks sharing the address (one NAT, a TCP load balancer) still sign in. Per instance, like a login's tarpit.
/// </summary>
public sealed class Sip2LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 5;
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    readonly Dictionary<string, (DateTimeOffset Since, int Failures)> failures = new(StringComparer.Ordinal);
    readonly Lock gate = new();

    public bool IsBlocked(string address)
    {
        lock (gate)
        {
            return failures.TryGetValue(address, out var entry) && time.GetUtcNow() - entry.Since < Window && entry.Failures >= MaxFailures;
        }
    }

    public void Failed(string address)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (failures.Count > 10_000)
            {
                foreach (var stale in failures.Where(f => now - f.Value.Since >= Window).Select(f => f.Key).ToList())
                {
                    failures.Remove(stale);
                }
            }
            failures[address] = failures.TryGetValue(address, out var entry) && now - entry.Since < Window
                ? (entry.Since, entry.Failures + 1)
                : (now, 1);
        }
    }
}
