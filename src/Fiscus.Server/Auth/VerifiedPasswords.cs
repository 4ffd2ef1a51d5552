using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;

namespace Fiscus.Server.Auth;

/// <summary>
/// Keeps PBKDF2, slow on purpose, off the hot path. A password verified once is remembered for this process, so
/// later checks of the same username and password against the same stored hash (the user row is looked up anyway,
/// a cheap indexed read) skip the hash: a Basic integration in use pays PBKDF2 once, not every 5 seconds when the
/// caller cache expires. Concurrent checks of the same credentials share one computation. And at most
/// <see cref="HashingSlots"/> hashes run at once, with a short queue, so a flood of wrong passwords cannot take every
/// core from the requests that do not sign in; one more slot, with a queue of its own, is kept for attempts from an
/// address known for their username, so that such a flood cannot turn the real user away either, and that lane is
/// shared out by username, so that one user's credentials flooded from their own addresses cannot take it from another.
/// </summary>
/// <remarks>
/// Credentials are remembered by their HMAC under a key drawn at start-up, never written anywhere, so the memory
/// holds nothing that can be checked against offline without also reading that key out of the process; entries
/// are bound to the stored hash (a password change or reset invalidates them everywhere at once) and dropped
/// <see cref="Lifetime"/> after their last use. A disabled user is never answered from memory.
/// </remarks>
public sealed class VerifiedPasswords(Passwords passwords, TimeProvider time, IMeterFactory meters) : IDisposable
{
    public const string MeterName = "Fiscus.SignIns";

    /// <summary>Counts PBKDF2 computations, so an operator can see what sign-ins cost (and a test that memory spares them).</summary>
    public const string HashesComputed = "fiscus.sign_in.password_hashes";

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    const int MaxEntries = 10_000;

    /// <summary>Half the cores (at least one) may hash passwords; the rest serve everything else.</summary>
    public static int HashingSlots { get; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>How many checks may wait for a hashing slot; more than that are turned away at once (503 busy).</summary>
    const int HashingQueue = 8;

    readonly Counter<long> hashes = meters.Create(MeterName)
        .CreateCounter<long>(HashesComputed, description: "Password hashes computed to check a sign-in");
    readonly byte[] key = RandomNumberGenerator.GetBytes(32);
    readonly ConcurrentDictionary<string, (string PasswordHash, DateTimeOffset Until)> remembered = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, object> running = new(StringComparer.Ordinal);
    readonly ConcurrencyLimiter hashing = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = HashingSlots,
        QueueLimit = HashingQueue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>One more slot, for attempts from an address known for their username: see <see cref="KnownLane"/>.</summary>
    readonly KnownLane knownLane = new();

    /// <summary>
    /// Whether these credentials were verified against exactly this stored hash lately; each use keeps them another
    /// <see cref="Lifetime"/>, so an integration in use never needs a hash again (a flood's 503s cannot reach it).
    /// </summary>
    public bool Remembers(string username, string password, string passwordHash)
    {
        var id = Id(username, password);
        var now = time.GetUtcNow();
        if (!remembered.TryGetValue(id, out var entry) || !string.Equals(entry.PasswordHash, passwordHash, StringComparison.Ordinal) ||
            entry.Until <= now)
        {
            return false;
        }
        remembered[id] = (entry.PasswordHash, now + Lifetime);
        return true;
    }

    public void Remember(string username, string password, string passwordHash)
    {
        if (remembered.Count >= MaxEntries)
        {
            remembered.Clear();
        }
        remembered[Id(username, password)] = (passwordHash, time.GetUtcNow() + Lifetime);
    }

    /// <summary>
    /// Runs <paramref name="check"/> for these credentials, or joins the run already under way for the same ones. The
    /// shared run is not cancelled when one of its waiters gives up.
    /// </summary>
    public async Task<T> OnceAsync<T>(string username, string password, Func<Task<T>> check, CancellationToken cancellationToken)
    {
        var id = Id(username, password);
        var mine = new Lazy<Task<T>>(() => RunAsync(id, check));
        var shared = (Lazy<Task<T>>)running.GetOrAdd(id, mine);
        return await shared.Value.WaitAsync(cancellationToken);
    }

    async Task<T> RunAsync<T>(string id, Func<Task<T>> check)
    {
        try
        {
            return await check();
        }
        finally
        {
            running.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// A slot to compute one hash in, or a lease that is not acquired when the queue is full. An attempt that may use the
    /// known addresses' lane (<paramref name="knownLaneUsername"/>: its username, see <see cref="AttemptStanding.KnownLane"/>)
    /// takes a shared slot if one is free at once, else waits in that lane under its username; everyone else queues for the
    /// shared slots.
    /// </summary>
    public async ValueTask<RateLimitLease> HashingSlotAsync(string? knownLaneUsername)
    {
        if (knownLaneUsername is null)
        {
            return await hashing.AcquireAsync(1, CancellationToken.None);
        }
        var shared = hashing.AttemptAcquire(1);
        if (shared.IsAcquired)
        {
            return shared;
        }
        shared.Dispose();
        return await knownLane.AcquireAsync(knownLaneUsername);
    }

    /// <summary>PBKDF2, in a slot from <see cref="HashingSlotAsync"/>: against a decoy when there is no stored hash.</summary>
    public (bool Valid, bool RehashNeeded) Compute(string? passwordHash, string password)
    {
        hashes.Add(1);
        return passwords.Verify(passwordHash, password);
    }

    /// <summary>The credentials' id: <paramref name="username"/> comes lower-cased from <see cref="SignInSubject.Normalize"/>.</summary>
    string Id(string username, string password) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(username + "\n" + password)));

    public void Dispose()
    {
        hashing.Dispose();
        knownLane.Dispose();
    }
}
