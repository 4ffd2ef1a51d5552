using Fiscus.Server.Auth;

namespace Fiscus.Server.Tests;

/// <summary>
/// The hashing lane kept for known addresses, shared out by username: a review filled the whole lane with one cashier's
/// leaked credentials, flooded with wrong passwords from the addresses they had made known, and a manager at their own
/// desk got 503 busy twenty times out of twenty.
/// </summary>
public sealed class KnownLaneTests
{
    [Fact]
    public async Task One_users_flood_holds_one_place_in_the_lane_and_another_user_is_next()
    {
        using var lane = new KnownLane();
        var first = await lane.AcquireAsync("cash1");
        var flood = Enumerable.Range(0, KnownLane.Queue + 2).Select(_ => lane.AcquireAsync("cash1").AsTask()).ToList();
        var manager = lane.AcquireAsync("mgr2").AsTask();
        var refused = flood.Where(t => t.IsCompleted).ToList();

        first.Dispose();
        using var managerLease = await manager.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(first.IsAcquired);
        // One of the flood waits at the cashier's gate; the rest are busy at once, whatever room the lane has.
        Assert.Equal(KnownLane.Queue + 2 - KnownLane.QueuePerUsername, refused.Count);
        Assert.All(refused, t => Assert.False(t.Result.IsAcquired));
        Assert.True(managerLease.IsAcquired);
        // The cashier's waiting check comes after the manager, not before.
        var waiting = Assert.Single(flood, t => !refused.Contains(t));
        Assert.False(waiting.IsCompleted);
        managerLease.Dispose();
        using var cashierLease = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(cashierLease.IsAcquired);
    }
}
