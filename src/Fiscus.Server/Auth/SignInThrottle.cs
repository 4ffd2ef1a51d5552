using Fiscus.Server.Configuration;

namespace Fiscus.Server.Auth;

/// <summary>
/// The one budget every check of a password or secret spends from (login, OAuth tokens, HTTP Basic, the shift
/// step-up): at most <c>FISCUS_LOGIN_ATTEMPTS_PER_MINUTE</c> failures per minute per client address, per username
/// and per person re-entering their password. Once a budget is spent, further attempts are refused before any
/// hash is computed. Successful sign-ins cost nothing, so a busy integration sending Basic on every request never
/// runs out. In memory, per instance (N instances behind a balancer allow N budgets), in fixed one-minute windows.
/// </summary>
/// <remarks>
/// <para>
/// <b>The lockout rule.</b> The address budget stops one machine guessing; the username budget stops many machines
/// (a botnet) guessing one account, which per-address limits alone cannot. But a per-account lockout is also a
/// weapon: anyone could lock the real admin out by failing on purpose. So when a username's budget is spent, its
/// attempts are refused only from addresses that have not signed in successfully as that user in the last
/// <see cref="KnownSignInAddresses.Horizon"/>: the admin at their usual desk keeps working, the guessers elsewhere
/// are stopped, and a known address is still held to its own address budget. "Known" comes from the audit log
/// (successful logins, and Basic sign-ins recorded once a day per user and address), so it survives restarts and is
/// shared by every instance. The cost: an admin at a new address during an attack waits for it to stop or signs in
/// from a known one; and everyone behind a NAT address the admin uses shares that exemption (but not more than the
/// address budget). The shift step-up counts per person only: the person is signed in already, and a stolen session
/// must not guess their password faster than that.
/// </para>
/// <para>
/// <b>Exact under concurrency.</b> An attempt that will compute a hash first reserves one failure on each of its
/// budgets and gives it back if the password was right, so a burst of parallel guesses gets exactly the budget.
/// </para>
/// <para>
/// <b>Bounded.</b> At most <see cref="MaxKeys"/> addresses and usernames are tracked per window (a flood of fresh
/// ones then shares one overflow budget per kind), and the failed sign-ins the audit records are capped per address
/// at the same budget and at <see cref="MaxAuditRowsPerWindow"/> per instance; what was refused or not recorded is
/// counted and summarised once per window (<see cref="TakeSummaries"/>).
/// </para>
/// RateLimiting's partitioned limiters count every request up front; this counts failures after the fact, peeks
/// before the cache, exempts known addresses and follows the injected clock, so it is its own small thing.
/// </remarks>
public sealed class SignInThrottle(FiscusOptions options, TimeProvider time, KnownSignInAddresses knownAddresses)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    const int MaxKeys = 50_000;
    const int MaxAuditRowsPerWindow = 1_000;
    const int MaxSummariesPerWindow = 100;
    const int MaxPendingSummaries = 1_000;
    const string Overflow = "(overflow)";

    readonly Lock gate = new();
    readonly List<ThrottleSummary> pending = [];
    Dictionary<string, Budget> budgets = new(StringComparer.Ordinal);
    /// <summary>This window's known addresses of the usernames whose budget is spent.</summary>
    Dictionary<string, HashSet<string>> known = new(StringComparer.Ordinal);
    long window = long.MinValue;
    int auditRows;
    int auditRowsDropped;

    int Limit => options.LoginAttemptsPerMinute;

    /// <summary>Whether this attempt may go on to a credential check at all (a refusal is counted for the summary).</summary>
    public async ValueTask<SignInRefusal?> CheckAsync(SignInSubject subject, CancellationToken cancellationToken)
    {
        IReadOnlySet<string>? knownAddresses = null;
        while (true)
        {
            lock (gate)
            {
                if (Evaluate(subject, knownAddresses, out var mustKnow) is { } refusal)
                {
                    return refusal;
                }
                if (!mustKnow)
                {
                    return null;
                }
            }
            knownAddresses = await LoadKnownAsync(subject.Username!, cancellationToken);
        }
    }

    /// <summary>
    /// Reserves one failure on every budget of the attempt before its hash is computed; null when one of them is
    /// spent (parallel attempts got there first).
    /// </summary>
    public async ValueTask<Reservation?> ReserveAsync(SignInSubject subject, CancellationToken cancellationToken)
    {
        IReadOnlySet<string>? knownAddresses = null;
        while (true)
        {
            lock (gate)
            {
                if (Evaluate(subject, knownAddresses, out var mustKnow) is not null)
                {
                    return null;
                }
                if (!mustKnow)
                {
                    var keys = KeysOf(subject).Select(Track).ToArray();
                    foreach (var key in keys)
                    {
                        budgets[key].Failures++;
                    }
                    return new Reservation(window, keys);
                }
            }
            knownAddresses = await LoadKnownAsync(subject.Username!, cancellationToken);
        }
    }

    /// <summary>The credentials were right (or nothing was checked): the reserved failure is given back.</summary>
    public void Release(Reservation reservation)
    {
        lock (gate)
        {
            if (reservation.Window != window)
            {
                return;
            }
            foreach (var key in reservation.Keys)
            {
                budgets[key].Failures--;
            }
        }
    }

    /// <summary>The credentials were wrong: the reservation stands. Returns the budgets this failure has just spent.</summary>
    public IReadOnlyList<Lockout> Failed(Reservation reservation)
    {
        lock (gate)
        {
            if (reservation.Window != window)
            {
                return [];
            }
            var lockouts = new List<Lockout>();
            foreach (var key in reservation.Keys)
            {
                var budget = budgets[key];
                if (budget.Failures >= Limit && !budget.LockoutRecorded)
                {
                    budget.LockoutRecorded = true;
                    lockouts.Add(new Lockout(KindOf(key), key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..], budget.Failures,
                        RetryAfterSeconds()));
                }
            }
            return lockouts;
        }
    }

    /// <summary>A sign-in succeeded: where it came from is a known address for that username from now on.</summary>
    public void Succeeded(SignInSubject subject)
    {
        if (subject.Username is null)
        {
            return;
        }
        lock (gate)
        {
            Roll();
            if (known.TryGetValue(subject.Username, out var addresses))
            {
                addresses.Add(subject.Address);
            }
        }
    }

    /// <summary>
    /// Whether one more failed sign-in from this address may be written to the audit log in this window (at most the
    /// budget per address and <see cref="MaxAuditRowsPerWindow"/> per instance); the rest is counted for the summary.
    /// A null address asks for the instance-wide cap only (lock-out rows).
    /// </summary>
    public bool TryCountAuditRow(string? address)
    {
        lock (gate)
        {
            Roll();
            if (auditRows >= MaxAuditRowsPerWindow)
            {
                auditRowsDropped++;
                return false;
            }
            if (address is not null)
            {
                var budget = budgets[Track(Key("address", address))];
                if (budget.AuditRows >= Limit)
                {
                    budget.Unrecorded++;
                    return false;
                }
                budget.AuditRows++;
            }
            auditRows++;
            return true;
        }
    }

    /// <summary>The summaries of the windows that have ended (and of the current one when <paramref name="includeCurrent"/>).</summary>
    public IReadOnlyList<ThrottleSummary> TakeSummaries(bool includeCurrent = false)
    {
        lock (gate)
        {
            Roll();
            if (includeCurrent)
            {
                Summarise();
                Reset();
            }
            var taken = pending.ToArray();
            pending.Clear();
            return taken;
        }
    }

    /// <summary>Seconds until the current window ends and every budget is whole again.</summary>
    public int RetryAfterSeconds()
    {
        var end = new DateTimeOffset((window + 1) * Window.Ticks, TimeSpan.Zero);
        return Math.Max(1, (int)Math.Ceiling((end - time.GetUtcNow()).TotalSeconds));
    }

    /// <summary>
    /// Under the lock: a refusal, or null; <paramref name="mustKnow"/> when the username's budget is spent and its known
    /// addresses (<paramref name="loaded"/> by the caller, or remembered for this window) are needed to decide.
    /// </summary>
    SignInRefusal? Evaluate(SignInSubject subject, IReadOnlySet<string>? loaded, out bool mustKnow)
    {
        Roll();
        mustKnow = false;
        foreach (var key in KeysOf(subject))
        {
            if (!budgets.TryGetValue(TrackedKey(key), out var budget) || budget.Failures < Limit)
            {
                continue;
            }
            if (KindOf(key) == "username")
            {
                var addresses = loaded ?? known.GetValueOrDefault(subject.Username!);
                if (addresses is null)
                {
                    mustKnow = true;
                    continue;
                }
                if (addresses.Contains(subject.Address))
                {
                    continue;
                }
            }
            budget.Refused++;
            return SignInRefusal.Throttled(RetryAfterSeconds());
        }
        return null;
    }

    /// <summary>Reads a username's known addresses, and remembers them for the rest of the window if there is room.</summary>
    async Task<IReadOnlySet<string>> LoadKnownAsync(string username, CancellationToken cancellationToken)
    {
        var addresses = (await knownAddresses.OfAsync(username, cancellationToken)).Addresses;
        lock (gate)
        {
            Roll();
            if (!known.ContainsKey(username) && known.Count < MaxKeys)
            {
                known[username] = new HashSet<string>(addresses, StringComparer.Ordinal);
            }
        }
        return addresses;
    }

    /// <summary>A person re-entering their password is counted as that person alone (colleagues share a till's address).</summary>
    static IEnumerable<string> KeysOf(SignInSubject subject)
    {
        if (subject.PersonId is { } person)
        {
            yield return Key("person", person.ToString(System.Globalization.CultureInfo.InvariantCulture));
            yield break;
        }
        yield return Key("address", subject.Address);
        if (subject.Username is { } username)
        {
            yield return Key("username", username);
        }
    }

    static string Key(string kind, string value) => kind + ":" + value;

    static string KindOf(string key) => key[..key.IndexOf(':', StringComparison.Ordinal)];

    /// <summary>The key as tracked: itself, or its kind's overflow budget once the table is full.</summary>
    string TrackedKey(string key) =>
        budgets.ContainsKey(key) || budgets.Count < MaxKeys ? key : Key(KindOf(key), Overflow);

    /// <summary>Under the lock: the budget of <paramref name="key"/>, created if need be; returns the key it is tracked under.</summary>
    string Track(string key)
    {
        var tracked = TrackedKey(key);
        if (!budgets.ContainsKey(tracked))
        {
            budgets[tracked] = new Budget();
        }
        return tracked;
    }

    /// <summary>Under the lock: starts a new window when the clock has left the current one, summarising the old.</summary>
    void Roll()
    {
        var now = time.GetUtcNow().UtcTicks / Window.Ticks;
        if (now == window)
        {
            return;
        }
        Summarise();
        Reset();
        window = now;
    }

    void Reset()
    {
        budgets = new Dictionary<string, Budget>(StringComparer.Ordinal);
        known = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        auditRows = auditRowsDropped = 0;
    }

    void Summarise()
    {
        if (window == long.MinValue)
        {
            return;
        }
        var start = new DateTimeOffset(window * Window.Ticks, TimeSpan.Zero);
        var busy = budgets.Where(b => b.Value.Refused + b.Value.Unrecorded > 0)
            .OrderByDescending(b => b.Value.Refused + b.Value.Unrecorded).ToList();
        foreach (var (key, budget) in busy.Take(MaxSummariesPerWindow))
        {
            pending.Add(new ThrottleSummary(start, KindOf(key), key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..],
                budget.Failures, budget.Refused, budget.Unrecorded));
        }
        var rest = busy.Skip(MaxSummariesPerWindow).ToList();
        if (rest.Count > 0 || auditRowsDropped > 0)
        {
            pending.Add(new ThrottleSummary(start, "instance", null, rest.Sum(b => b.Value.Failures), rest.Sum(b => b.Value.Refused),
                rest.Sum(b => b.Value.Unrecorded) + auditRowsDropped));
        }
        if (pending.Count > MaxPendingSummaries)
        {
            pending.RemoveRange(0, pending.Count - MaxPendingSummaries);
        }
    }

    sealed class Budget
    {
        public int Failures;
        public int Refused;
        public int AuditRows;
        public int Unrecorded;
        public bool LockoutRecorded;
    }

    /// <summary>Failures reserved in one window on these budgets (as tracked) for one attempt.</summary>
    public sealed record Reservation(long Window, IReadOnlyList<string> Keys);
}

/// <summary>A budget spent: <paramref name="Kind"/> is <c>address</c>, <c>username</c> or <c>person</c>.</summary>
public sealed record Lockout(string Kind, string Value, int Failures, int RetryAfterSeconds);

/// <summary>
/// One window of one budget that refused attempts or left failures unrecorded (<paramref name="Kind"/> <c>instance</c>:
/// the rest, and what the instance-wide audit cap dropped).
/// </summary>
public sealed record ThrottleSummary(DateTimeOffset WindowStart, string Kind, string? Value, int Failures, int Refused, int Unrecorded);
