namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>A Fiscus serving <c>/metrics</c> (FISCUS_METRICS=true).</summary>
public sealed class MetricsFixture : FiscusFixture
{
    protected override IReadOnlyDictionary<string, string?>? Settings() => new Dictionary<string, string?> { ["FISCUS_METRICS"] = "true" };
}
