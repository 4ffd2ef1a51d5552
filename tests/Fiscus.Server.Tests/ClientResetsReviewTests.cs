using Fiscus.Server.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fiscus.Server.Tests;

/// <summary>
/// Review of issue 16: leaving Kestrel's event 67 out of the log must not change what else is logged. An operator's
/// per-provider levels (<c>Logging:Console:LogLevel</c>, <c>AddFilter&lt;ConsoleLoggerProvider&gt;</c>) still apply, scopes
/// still reach the provider, and only event 67 of Kestrel's own category is dropped.
/// </summary>
public sealed class ClientResetsReviewTests
{
    [Fact]
    public void A_providers_own_level_still_applies()
    {
        var probe = new ProbeProvider();
        using var services = Build(logging =>
        {
            logging.Services.AddSingleton<ILoggerProvider>(probe);
            logging.AddFilter<ProbeProvider>(null, LogLevel.Error);
        });
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Fiscus.Anything");
        logger.LogInformation("below the provider's level");
        logger.LogError("at the provider's level");
        Assert.Equal(["at the provider's level"], probe.Lines.Select(l => l.Message));
    }

    [Fact]
    public void Only_Kestrels_event_67_is_dropped_and_scopes_reach_the_provider()
    {
        var probe = new ProbeProvider();
        using var services = Build(logging => logging.Services.AddSingleton<ILoggerProvider>(probe));
        var factory = services.GetRequiredService<ILoggerFactory>();
        var kestrel = factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");
        kestrel.Log(LogLevel.Error, new EventId(67, "RequestBodyDrainBodyReaderInvalidState"), "drain failed");
        kestrel.Log(LogLevel.Error, new EventId(13, "ApplicationError"), "application error");
        factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Connections").Log(LogLevel.Error, new EventId(67), "another category's 67");
        var fiscus = factory.CreateLogger("Fiscus.Anything");
        using (fiscus.BeginScope("scope {Id}", 42))
        {
            fiscus.LogWarning(new EventId(67), "ours");
        }
        Assert.Equal(["application error", "another category's 67", "ours"], probe.Lines.Select(l => l.Message));
        Assert.Contains("scope 42", probe.Lines[^1].Scopes);
    }

    static ServiceProvider Build(Action<ILoggingBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            configure(logging);
            ClientResets.KeepOutOfTheErrorLog(logging);
        });
        return services.BuildServiceProvider();
    }

    sealed record Line(string Message, string Scopes);

    [ProviderAlias("Probe")]
    sealed class ProbeProvider : ILoggerProvider, ISupportExternalScope
    {
        IExternalScopeProvider? scopes;

        public List<Line> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new ProbeLogger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public void Dispose()
        {
        }

        sealed class ProbeLogger(ProbeProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider.scopes?.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<string>();
                provider.scopes?.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
                provider.Lines.Add(new Line(formatter(state, exception), string.Join(" > ", scopes)));
            }
        }
    }
}
