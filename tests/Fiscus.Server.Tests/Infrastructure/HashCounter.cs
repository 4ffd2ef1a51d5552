using System.Diagnostics.Metrics;
using Fiscus.Server.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>Counts the password hashes one Fiscus instance computes (its own meter only, not other test hosts').</summary>
public sealed class HashCounter : IDisposable
{
    readonly MeterListener listener = new();
    long count;

    public HashCounter(IServiceProvider services)
    {
        var meters = services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == VerifiedPasswords.HashesComputed)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, _, _) => Interlocked.Add(ref count, measurement));
        listener.Start();
    }

    public long Count => Interlocked.Read(ref count);

    public void Dispose() => listener.Dispose();
}
