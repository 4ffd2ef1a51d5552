using Fiscus.Server.Auth;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>
/// A clock the test moves by hand (token expiry, business days). Move it forward, or back only to where it was: the database
/// refuses money dated more than five minutes before it is written, or before its register session opened (migration 0010).
/// </summary>
public sealed class TestClock : TimeProvider
{
    DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;

    /// <summary>
    /// Moves to one second into the next minute, so that a test moving a few seconds on does not cross the end of a sign-in
    /// window (<see cref="SignInThrottle.Window"/>), and find every budget whole again, unless it means to.
    /// </summary>
    public void AdvanceToAFreshWindow() =>
        Advance(TimeSpan.FromTicks(SignInThrottle.Window.Ticks - (now.UtcTicks % SignInThrottle.Window.Ticks)) + TimeSpan.FromSeconds(1));
}
