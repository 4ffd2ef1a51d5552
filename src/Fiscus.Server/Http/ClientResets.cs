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

    /// <summary>Wraps every logging provider registered so far (the console's, plain or JSON).</summary>
    public static void KeepOutOfTheErrorLog(ILoggingBuilder logging)
    {
        var providers = logging.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && !d.IsKeyedService).ToList();
        foreach (var descriptor in providers)
        {
            logging.Services.Remove(descriptor);
            logging.Services.Add(ServiceDescriptor.Singleton<ILoggerProvider>(sp => new Provider(Create(sp, descriptor))));
        }
    }

    static ILoggerProvider Create(IServiceProvider services, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: ILoggerProvider instance } => instance,
        { ImplementationFactory: { } factory } => (ILoggerProvider)factory(services),
        _ => (ILoggerProvider)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!),
    };

    sealed class Provider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == KestrelCategory ? new Logger(inner.CreateLogger(categoryName)) : inner.CreateLogger(categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => (inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();
    }

    sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The logging factory has already applied the configured levels by the time a provider's logger is called, so the
            // line cannot be passed on at a lower level: it is left out.
            if (eventId.Id == DrainFailedEventId)
            {
                return;
            }
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
