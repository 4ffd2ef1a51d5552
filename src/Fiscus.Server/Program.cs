using Fiscus.Server;
using Fiscus.Server.Cli;

// One executable: `fiscus migrate | user ... | client ...` runs a command; anything else serves the API.
if (FiscusCli.IsCommand(args))
{
    return await FiscusCli.RunAsync(args);
}

// Settings files live next to the executable, whatever directory Fiscus is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddFiscus(args);
var app = builder.Build();
app.UseFiscus();
await app.RunAsync();
return 0;

/// <summary>Visible to the in-process test host (WebApplicationFactory).</summary>
public partial class Program;
