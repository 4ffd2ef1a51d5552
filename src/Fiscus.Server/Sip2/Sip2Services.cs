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
/// What SIP2 lets a kiosk get wrong before it stops listening, per Fiscus instance: failed logins per address and login name
/// (so a kiosk password cannot be guessed at socket speed, while other kiosks behind the same NAT or load balancer still sign
/// in) and wrong PINs per patron (so a kiosk login cannot walk a 4-digit PIN).
/// Past the limit the check fails without being made until the window has passed.
/// </summary>
public sealed class Sip2LoginThrottle(TimeProvider time)
{
    public const int MaxFailedLogins = 5;
    public static readonly TimeSpan LoginWindow = TimeSpan.FromMinutes(1);
    public const int MaxWrongPins = 5;
    public static readonly TimeSpan PinWindow = TimeSpan.FromMinutes(15);

    readonly Budget logins = new(time, MaxFailedLogins, LoginWindow);
    readonly Budget pins = new(time, MaxWrongPins, PinWindow);

    /// <param name="key">The address and the login name tried.</param>
    public bool IsBlocked(string key) => logins.IsSpent(key);

    public void Failed(string key) => logins.Spend(key);

    public bool PinsBlocked(long patronId) => pins.IsSpent(Key(patronId));

    public void WrongPin(long patronId) => pins.Spend(Key(patronId));

    static string Key(long patronId) => patronId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    sealed class Budget(TimeProvider time, int max, TimeSpan window)
    {
        readonly Dictionary<string, (DateTimeOffset Since, int Failures)> failures = new(StringComparer.Ordinal);
        readonly Lock gate = new();

        public bool IsSpent(string key)
        {
            lock (gate)
            {
                return failures.TryGetValue(key, out var entry) && time.GetUtcNow() - entry.Since < window && entry.Failures >= max;
            }
        }

        public void Spend(string key)
        {
            lock (gate)
            {
                var now = time.GetUtcNow();
                if (failures.Count > 10_000)
                {
                    foreach (var stale in failures.Where(f => now - f.Value.Since >= window).Select(f => f.Key).ToList())
                    {
                        failures.Remove(stale);
                    }
                }
                failures[key] = failures.TryGetValue(key, out var entry) && now - entry.Since < window ? (entry.Since, entry.Failures + 1) : (now, 1);
            }
        }
    }
}
