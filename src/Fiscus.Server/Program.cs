using Fiscus.Server;
using Fiscus.Server.Cli;

// One executable: `fiscus migrate | user ... | client ...` runs a command; no arguments (or only server options such as
// --urls) serve the API; --help or an unknown verb prints usage and starts nothing.
switch (FiscusCli.Classify(args))
{
    case FiscusCli.Invocation.Command:
        return await FiscusCli.RunAsync(args);
    case FiscusCli.Invocation.Help or FiscusCli.Invocation.UnknownVerb:
        return await FiscusCli.UsageAsync(args);
}

// Settings files live next to the executable, whatever directory Fiscus is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddFiscus(args);
// Said before the database is migrated, in one line: a second ./run, or another program on the port.
if (await ListenAddresses.FirstInUseAsync(builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey)) is { } taken)
{
    await Console.Error.WriteLineAsync(ListenAddresses.InUse(taken));
    return 2;
}
WebApplication app;
try
{
    // The settings are read as the host is built, and again here before it starts: a bad one is one line and exit code 2,
    // not a failed host's stack trace.
    app = builder.Build();
    _ = app.Services.GetRequiredService<Fiscus.Server.Configuration.FiscusOptions>();
    // Migrations, first-start seeding and the runtime role's grants, before anything listens.
    foreach (var startup in app.Services.GetServices<IHostedService>().OfType<Fiscus.Server.Startup.DatabaseStartup>())
    {
        await startup.StartAsync(CancellationToken.None);
    }
}
catch (Exception e) when (Fiscus.Server.Cli.StartFailures.Describe(e) is { } failure)
{
    await Console.Error.WriteLineAsync($"fiscus: {failure}");
    return 2;
}
app.UseFiscus();
try
{
    await app.RunAsync();
}
catch (IOException e) when (ListenAddresses.FromBindFailure(e) is { } address)
{
    // Taken between the check above and Kestrel's bind.
    await Console.Error.WriteLineAsync(ListenAddresses.InUse(address));
    return 2;
}
return 0;

/// <summary>Visible to the in-process test host (WebApplicationFactory).</summary>
public partial class Program;
