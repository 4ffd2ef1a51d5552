using System.Threading.RateLimiting;

namespace Fiscus.Server.Auth;

/// <summary>
/// The hashing lane kept for attempts from an address that signed in as their username lately
/// (<see cref="AttemptStanding.KnownLane"/>), which take it when every shared slot of <see cref="VerifiedPasswords"/> is
/// busy: one slot and a queue that a flood of strangers cannot fill. Its worst case is one hash more than
/// <see cref="VerifiedPasswords.HashingSlots"/> at once, and only while users at known addresses sign in during a flood.
/// </summary>
/// <remarks>
/// Each username passes a gate of its own first: one check in the lane (hashing, or waiting for the slot) and
/// <see cref="QueuePerUsername"/> waiting to enter, the rest busy at once. So a user's credentials, leaked and flooded with
/// wrong passwords from the addresses they made known, hold one place in the lane's queue, not all of it, and another
/// user waits behind at most one of their hashes. The gates are partitions that the framework drops once idle.
/// </remarks>
public sealed class KnownLane : IDisposable
{
    /// <summary>How many checks may wait for the lane's slot: one per username, so as many different users.</summary>
    public const int Queue = 8;

    /// <summary>How many checks of one username may wait at its gate while one of its checks is in the lane.</summary>
    public const int QueuePerUsername = 1;

    readonly PartitionedRateLimiter<string> gates = PartitionedRateLimiter.Create<string, string>(username =>
        RateLimitPartition.GetConcurrencyLimiter(username, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = 1,
            QueueLimit = QueuePerUsername,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));

    // One partition: everyone past their gate queues for the same slot, oldest first.
    readonly PartitionedRateLimiter<string> slot = PartitionedRateLimiter.Create<string, string>(_ =>
        RateLimitPartition.GetConcurrencyLimiter("known lane", _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = 1,
            QueueLimit = Queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));

    readonly PartitionedRateLimiter<string> gateThenSlot;

    // The chain gives back the gate when the slot is refused; disposing it would not dispose the two, so they are kept here.
    public KnownLane() => gateThenSlot = PartitionedRateLimiter.CreateChained(gates, slot);

    /// <summary>A place in the lane for a check of <paramref name="username"/>, or a lease that is not acquired (busy).</summary>
    public ValueTask<RateLimitLease> AcquireAsync(string username) => gateThenSlot.AcquireAsync(username, 1, CancellationToken.None);

    public void Dispose()
    {
        gateThenSlot.Dispose();
        gates.Dispose();
        slot.Dispose();
    }
}
