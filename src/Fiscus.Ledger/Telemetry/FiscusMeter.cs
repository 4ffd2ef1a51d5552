using System.Diagnostics.Metrics;

namespace Fiscus.Ledger.Telemetry;

/// <summary>
/// The one <see cref="Meter"/> Fiscus measures itself with, named <c>Fiscus</c>: the ledger's counters of committed money and of
/// how commands ended (here, below any transport), the server's counters of error answers beside them. Measuring costs next to
/// nothing when nobody listens (FISCUS_METRICS and FISCUS_OTLP_ENDPOINT unset), so the instruments always exist.
/// </summary>
public static class FiscusMeter
{
    public const string Name = "Fiscus";

    public static readonly Meter Meter = new(Name);
}
