using Microsoft.Extensions.Options;

namespace Fiscus.Server.Http;

/// <summary>
/// A client that resets its connection in the middle of a request body (a kiosk switched off, a proxy timing out) makes
/// Kestrel log a <c>fail</c> line with a stack trace after the request: "automatic draining of the request body failed
/// because the body reader is in an invalid state ... Reading is already in progress" (event 67). The read that the reset
/// broke leaves Kestrel's reader marked busy (dotnet/aspnetcore#17840, #21645); the connection is gone and nothing of
/// Fiscus failed (the request log still shows the request), so the line is left out, keeping the error log for errors.
/// Every other Kestrel event, its unhandled-application errors included, passes unchanged.
/// </summary>
public static class ClientResets
{
    const string KestrelCategory = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>The event Kestrel logs when draining a request body fails.</summary>
    public const int DrainFailedEventId = 67;

    /// <summary>
    /// Wraps the logger factory, so only loggers of Kestrel's category are filtered. The providers themselves are left as they
    /// are: the levels an operator gives one provider (<c>Logging:Console:LogLevel</c>, <c>AddFilter&lt;ConsoleLoggerProvider&gt;</c>)
    /// are matched by the provider's type, and a wrapped provider would no longer match them.
    /// </summary>
    public static void KeepOutOfTheErrorLog(ILoggingBuilder logging)
    {
        var descriptor = logging.Services.LastOrDefault(d => d.ServiceType == typeof(ILoggerFactory) && !d.IsKeyedService);
        if (descriptor is null)
        {
            return;
        }
        logging.Services.Remove(descriptor);
        logging.Services.Add(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new Factory(Create(sp, descriptor))));
    }

    static ILoggerFactory Create(IServiceProvider services, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: ILoggerFactory instance } => instance,
        { ImplementationFactory: { } factory } => (ILoggerFactory)factory(services),
        // AddLogging's own registration, built with every argument the container would give it (filters, options, scopes).
        { ImplementationType: var type } when type == typeof(LoggerFactory) => new LoggerFactory(
            services.GetServices<ILoggerProvider>(), services.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            services.GetService<IOptions<LoggerFactoryOptions>>(), services.GetService<IExternalScopeProvider>()),
        _ => (ILoggerFactory)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!),
    };

    sealed class Factory(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == KestrelCategory ? new Logger(inner.CreateLogger(categoryName)) : inner.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() => inner.Dispose();
    }

    sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The line cannot be passed on at a lower level (the configured levels are applied per level, not per event):
            // it is left out.
            if (eventId.Id == DrainFailedEventId)
            {
                return;
            }
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
