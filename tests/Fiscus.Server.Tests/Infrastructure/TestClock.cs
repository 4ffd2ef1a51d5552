namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>A clock the test moves by hand (token expiry, business days).</summary>
public sealed class TestClock : TimeProvider
{
    DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
