using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;
using Fiscus.Staff.Services;

namespace Fiscus.Staff;

// Not top-level statements: the server's Program is the global one (tests host it with WebApplicationFactory<Program>).
public static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebAssemblyHostBuilder.CreateDefault(args);
        builder.RootComponents.Add<App>("#app");
        builder.RootComponents.Add<HeadOutlet>("head::after");

        // Same origin as the page: the browser sends the HttpOnly access_token cookie itself; the app never holds a token.
        builder.Services.AddScoped(_ => new HttpClient { BaseAddress = new Uri(builder.HostEnvironment.BaseAddress) });
        builder.Services.AddScoped<BrowserStorage>();
        builder.Services.AddScoped<FiscusApi>();
        builder.Services.AddScoped<StaffSession>();
        builder.Services.AddScoped<CounterState>();
        builder.Services.AddScoped<ConfirmedWrites>();

        await builder.Build().RunAsync();
    }
}
