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
/// address budget). The shift step-up counts per person, and under the username too: a stolen session must not get
/// a second budget of guesses at the same password.
/// </para>
/// <para>
/// <b>Exact under concurrency.</b> An attempt that will compute a hash first reserves one failure on each of its
/// budgets and gives it back if the password was right, so a burst of parallel guesses gets exactly the budget.
/// </para>
/// <para>
/// <b>Bounded, and never one budget for all.</b> Only failures take room (<see cref="SignInBudgets"/>): once the exact
/// budgets of a window are taken, fresh addresses are counted under their networks and then under hashed shares, and
/// never is a pair of address and username known to each other refused through such a shared budget, so a flood of
/// fresh addresses cannot lock the real user out. The failed sign-ins the audit records are capped per address at the
/// budget and at <see cref="SignInCapacity.AuditRowsPerWindow"/> per instance, lock-outs at a cap of their own; every
/// row left out is counted on every budget of its attempt, and what was refused, left unrecorded or turned away as busy
/// is summarised once per window (<see cref="TakeSummaries"/>), always for the budgets of names that are users'.
/// </para>
/// RateLimiting's partitioned limiters count every request up front; this counts failures after the fact, peeks
/// before the cache, exempts known addresses and follows the injected clock, so it is its own small thing.
/// </remarks>
public sealed class SignInThrottle(FiscusOptions options, TimeProvider time, KnownSignInAddresses knownAddresses, SignInCapacity capacity)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    const int MaxPendingSummaries = 10_000;
    const int MaxAddressesPerUsername = 1_000;

    readonly Lock gate = new();
    readonly List<ThrottleSummary> pending = [];
    SignInBudgets budgets = new(capacity);
    /// <summary>This window's answers of <see cref="KnownSignInAddresses.OfAsync"/>, by username (bounded).</summary>
    Dictionary<string, (bool Exists, HashSet<string> Addresses)> users = new(StringComparer.Ordinal);
    /// <summary>
    /// The known pairs (username, address) that failed in this window, and so have lost the known addresses' hashing lane
    /// until it ends (<see cref="AttemptStanding.KnownLane"/>). Bounded without a cap of its own: only pairs read as known
    /// from the audit log get in, at most <see cref="KnownSignInAddresses"/>' limit of addresses per user.
    /// </summary>
    HashSet<(string Username, string Address)> failedKnownPairs = [];
    WindowTotals totals = new();
    long window = long.MinValue;

    int Limit => options.LoginAttemptsPerMinute;

    /// <summary>Whether this attempt may go on to a credential check at all (a refusal is counted for the summary).</summary>
    public async ValueTask<SignInRefusal?> CheckAsync(SignInSubject subject, CancellationToken cancellationToken)
    {
        KnownUser? loaded = null;
        while (true)
        {
            lock (gate)
            {
                Roll();
                var refusal = Evaluate(subject, StandingOf(subject, loaded), out var mustKnow);
                if (refusal is not null || !mustKnow)
                {
                    return refusal;
                }
            }
            loaded = await LoadAsync(subject.Username!, cancellationToken);
        }
    }

    /// <summary>
    /// Whether the attempt's username is a user's (<paramref name="namesUser"/>, from the look-up) and its address one that
    /// user signed in from: such an attempt is the real user's as far as anyone can tell, and gets the hashing lane kept
    /// for them (<see cref="VerifiedPasswords.HashingSlotAsync"/>) unless that pair has failed in this window. Read once per
    /// user and window.
    /// </summary>
    public async ValueTask<AttemptStanding> StandingAsync(SignInSubject subject, bool namesUser, CancellationToken cancellationToken)
    {
        if (subject.Username is not { } username || !namesUser)
        {
            return default;
        }
        lock (gate)
        {
            Roll();
            if (users.TryGetValue(username, out var user) && user.Exists)
            {
                return KnownStanding(subject, user.Addresses.Contains(subject.Address));
            }
        }
        var loaded = await LoadAsync(username, cancellationToken);
        lock (gate)
        {
            Roll();
            return KnownStanding(subject, loaded.Addresses.Contains(subject.Address));
        }
    }

    /// <summary>Under the lock: the standing of an attempt whose username is a user's.</summary>
    AttemptStanding KnownStanding(SignInSubject subject, bool knownPair) =>
        new(true, knownPair, knownPair && !failedKnownPairs.Contains((subject.Username!, subject.Address)));

    /// <summary>
    /// Reserves one failure on every budget of the attempt just before its hash is computed; null when one of them is
    /// spent (parallel attempts got there first). Release or fail it.
    /// </summary>
    public Reservation? Reserve(SignInSubject subject, AttemptStanding standing)
    {
        lock (gate)
        {
            Roll();
            if (Evaluate(subject, standing, out _) is not null)
            {
                return null;
            }
            var reserved = KindsOf(subject).Select(kind => budgets.Track(kind, subject, standing)).ToArray();
            foreach (var budget in reserved)
            {
                budget.Failures++;
                budget.NamesUser |= budget.Kind == "username" && standing.NamesUser;
            }
            return new Reservation(window, reserved, subject.Address, standing.KnownPair ? subject.Username : null);
        }
    }

    /// <summary>The credentials were right: the reserved failure is given back, and a budget left at nothing is forgotten.</summary>
    public void Release(Reservation reservation)
    {
        lock (gate)
        {
            if (reservation.Window != window)
            {
                return;
            }
            foreach (var budget in reservation.Budgets)
            {
                budget.Failures--;
                budgets.DropIfEmpty(budget);
            }
        }
    }

    /// <summary>
    /// The credentials were wrong: the reservation stands. Returns the budgets this failure has just spent whose
    /// <c>auth.locked_out</c> row is to be written: always for a name that is a user's, the rest up to
    /// <see cref="SignInCapacity.LockoutRowsPerWindow"/> (a row left out is counted as unrecorded on its budget).
    /// </summary>
    public IReadOnlyList<Lockout> Failed(Reservation reservation)
    {
        lock (gate)
        {
            if (reservation.Window != window)
            {
                return [];
            }
            totals.Failures++;
            if (reservation.KnownPairOf is { } username)
            {
                failedKnownPairs.Add((username, reservation.Address));
            }
            var lockouts = new List<Lockout>();
            foreach (var budget in reservation.Budgets)
            {
                NoteAddress(budget, reservation.Address);
                if (budget.Failures < Limit || budget.LockoutRecorded)
                {
                    continue;
                }
                budget.LockoutRecorded = true;
                if (budget.NamesUser || totals.LockoutRows < capacity.LockoutRowsPerWindow)
                {
                    totals.LockoutRows += budget.NamesUser ? 0 : 1;
                    lockouts.Add(new Lockout(budget.Kind, budget.Value, budget.Failures, RetryAfterSeconds()));
                }
                else
                {
                    budget.Unrecorded++;
                    totals.Unrecorded++;
                }
            }
            return lockouts;
        }
    }

    /// <summary>The attempt was turned away as busy (no hashing slot): counted on the budgets it has, and on its user's name.</summary>
    public void Busy(SignInSubject subject, AttemptStanding standing)
    {
        lock (gate)
        {
            Roll();
            totals.Busy++;
            foreach (var kind in KindsOf(subject))
            {
                // Only a user's name gets a budget for it: those are few, while a busy answer must stay free for floods.
                var budget = kind == "username" && standing.NamesUser
                    ? budgets.Track(kind, subject, standing)
                    : budgets.Find(kind, subject, standing);
                if (budget is not null)
                {
                    budget.Busy++;
                    budget.NamesUser |= kind == "username" && standing.NamesUser;
                    NoteAddress(budget, subject.Address);
                }
            }
        }
    }

    /// <summary>
    /// A successful sign-in was recorded as making its address known for its username (<see cref="KnownSignInAddresses"/>
    /// decides, within its daily cap): so it is from now on, without waiting for the next window's read.
    /// </summary>
    public void Known(SignInSubject subject)
    {
        if (subject.Username is null)
        {
            return;
        }
        lock (gate)
        {
            Roll();
            if (users.TryGetValue(subject.Username, out var user))
            {
                user.Addresses.Add(subject.Address);
            }
        }
    }

    /// <summary>
    /// Whether one more failed sign-in of this attempt may be written to the audit log in this window (at most the budget
    /// per address, or per person for the step-up, and <see cref="SignInCapacity.AuditRowsPerWindow"/> per instance). A
    /// row left out is counted as unrecorded on every budget of the attempt, so the summary still names them.
    /// </summary>
    public bool TryCountAuditRow(SignInSubject subject, AttemptStanding standing)
    {
        lock (gate)
        {
            Roll();
            var attempt = KindsOf(subject).Select(kind => budgets.Find(kind, subject, standing)).ToArray();
            var own = attempt[0];
            if (totals.AuditRows < capacity.AuditRowsPerWindow && (own is null || own.AuditRows < Limit))
            {
                if (own is not null)
                {
                    own.AuditRows++;
                }
                totals.AuditRows++;
                return true;
            }
            totals.Unrecorded++;
            foreach (var budget in attempt.OfType<Budget>())
            {
                budget.Unrecorded++;
            }
            return false;
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
    /// Under the lock: a refusal, or null. With the attempt's <paramref name="standing"/> unknown, <paramref name="mustKnow"/>
    /// says it is needed to decide (a spent username budget, or a spent shared one, may exempt a known address).
    /// </summary>
    SignInRefusal? Evaluate(SignInSubject subject, AttemptStanding? standing, out bool mustKnow)
    {
        mustKnow = false;
        foreach (var kind in KindsOf(subject))
        {
            var budget = budgets.Find(kind, subject, standing ?? default);
            if (budget is null || budget.Failures < Limit)
            {
                continue;
            }
            if (subject.Username is not null && (kind == "username" || budget.Tier != BudgetTier.Exact))
            {
                if (standing is not { } known)
                {
                    mustKnow = true;
                    continue;
                }
                if (known.KnownPair)
                {
                    continue;
                }
            }
            budget.Refused++;
            totals.Refused++;
            return SignInRefusal.Throttled(RetryAfterSeconds());
        }
        return null;
    }

    /// <summary>Under the lock: what is known of the attempt, or null when its username has not been read this window.</summary>
    AttemptStanding? StandingOf(SignInSubject subject, KnownUser? loaded)
    {
        if (subject.Username is not { } username)
        {
            return default(AttemptStanding);
        }
        if (loaded is not null)
        {
            return new AttemptStanding(loaded.Exists, loaded.Addresses.Contains(subject.Address));
        }
        return users.TryGetValue(username, out var user) ? new AttemptStanding(user.Exists, user.Addresses.Contains(subject.Address)) : null;
    }

    /// <summary>Reads whether a username is a user's and its known addresses, remembered for the rest of the window if there is room.</summary>
    async Task<KnownUser> LoadAsync(string username, CancellationToken cancellationToken)
    {
        var user = await knownAddresses.OfAsync(username, cancellationToken);
        lock (gate)
        {
            Roll();
            if (users.ContainsKey(username) || users.Count < capacity.RememberedUsers)
            {
                users[username] = (user.Exists, new HashSet<string>(user.Addresses, StringComparer.Ordinal));
            }
        }
        return user;
    }

    /// <summary>Under the lock: a username budget keeps the addresses it counted, for the summary.</summary>
    static void NoteAddress(Budget budget, string address)
    {
        if (budget is { Kind: "username", Tier: BudgetTier.Exact })
        {
            budget.Addresses ??= new HashSet<string>(StringComparer.Ordinal);
            if (budget.Addresses.Count < MaxAddressesPerUsername)
            {
                budget.Addresses.Add(address);
            }
        }
    }

    /// <summary>
    /// The budgets an attempt spends from, the one its audit rows are capped by first: the address and the username of a
    /// sign-in; the person and their username for a step-up (colleagues share a till's address).
    /// </summary>
    static IEnumerable<string> KindsOf(SignInSubject subject)
    {
        yield return subject.PersonId is null ? "address" : "person";
        if (subject.Username is not null)
        {
            yield return "username";
        }
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
        budgets = new SignInBudgets(capacity);
        users = new Dictionary<string, (bool, HashSet<string>)>(StringComparer.Ordinal);
        failedKnownPairs = [];
        totals = new WindowTotals();
    }

    /// <summary>
    /// Under the lock: the window's summaries. Every budget of a user's name that failed or was turned away as busy (there
    /// are only so many users, and a guessed admin must always show); of the others, the busiest with something refused,
    /// unrecorded or busy; and the instance's totals whenever anything was.
    /// </summary>
    void Summarise()
    {
        if (window == long.MinValue)
        {
            return;
        }
        var start = new DateTimeOffset(window * Window.Ticks, TimeSpan.Zero);
        var all = budgets.All.ToList();
        var named = all.Where(b => b.NamesUser && b.Failures + b.Busy > 0).OrderByDescending(b => b.Failures + b.Busy);
        var others = all.Where(b => !b.NamesUser && b.Refused + b.Unrecorded + b.Busy > 0)
            .OrderByDescending(b => b.Refused + b.Unrecorded + b.Busy).ToList();
        foreach (var budget in named.Concat(others.Take(capacity.SummariesPerWindow)))
        {
            pending.Add(new ThrottleSummary(start, budget.Kind, budget.Value, budget.Failures, budget.Refused, budget.Unrecorded, budget.Busy,
                budget.Addresses?.Count));
        }
        if (others.Count > capacity.SummariesPerWindow || totals.Refused + totals.Unrecorded + totals.Busy > 0)
        {
            pending.Add(new ThrottleSummary(start, "instance", null, totals.Failures, totals.Refused, totals.Unrecorded, totals.Busy, null));
        }
        if (pending.Count > MaxPendingSummaries)
        {
            pending.RemoveRange(0, pending.Count - MaxPendingSummaries);
        }
    }

    /// <summary>The window's counts over every attempt, whichever budgets they fell on.</summary>
    sealed class WindowTotals
    {
        public int Failures;
        public int Refused;
        public int Unrecorded;
        public int Busy;
        public int AuditRows;
        public int LockoutRows;
    }

    /// <summary>
    /// Failures reserved in one window on these budgets for one attempt from this address; <paramref name="KnownPairOf"/> is
    /// the username when the address was known for it.
    /// </summary>
    public sealed record Reservation(long Window, IReadOnlyList<Budget> Budgets, string Address, string? KnownPairOf);
}

/// <summary>A budget spent: <paramref name="Kind"/> is <c>address</c>, <c>username</c> or <c>person</c>.</summary>
public sealed record Lockout(string Kind, string Value, int Failures, int RetryAfterSeconds);

/// <summary>
/// One window of one budget: what it counted failed, refused, left out of the audit log (<paramref name="Unrecorded"/>)
/// and turned away as busy (503); for a username, from how many addresses (<paramref name="Addresses"/>).
/// <paramref name="Kind"/> <c>instance</c>: the window's totals over every attempt.
/// </summary>
public sealed record ThrottleSummary(
    DateTimeOffset WindowStart, string Kind, string? Value, int Failures, int Refused, int Unrecorded, int Busy, int? Addresses);
