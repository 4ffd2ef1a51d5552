using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Fiscus.Server.Startup;

/// <summary>Tells the person who ran <c>./run</c> where Fiscus is, where its API docs are, and the first admin login.</summary>
public sealed class StartupBanner(IServer server, IHostApplicationLifetime lifetime, StartupReport report) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Print);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    void Print()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0)
        {
            return; // in-process test server: nobody to tell
        }
        Console.Out.WriteLine(string.Join(Environment.NewLine, Lines(addresses.First().TrimEnd('/'), report)));
        Console.Out.Flush();
    }

    /// <summary>What the banner says for a server at <paramref name="url"/>.</summary>
    public static IReadOnlyList<string> Lines(string url, StartupReport report)
    {
        var lines = new List<string>
        {
            "",
            $"  Fiscus is serving at {url}",
            $"  API docs:       {url}/api/v1/docs   (OpenAPI: {url}/api/v1/openapi.json)",
            $"  Health:         {url}/health/ready",
        };
        if (report.CreatedAdminPassword is { } password)
        {
            lines.Add("");
            lines.Add(report.AdminPasswordFromConfiguration
                ? "  First start: created user 'admin' with the password from FISCUS_ADMIN_PASSWORD."
                : $"  First start: created user 'admin' with password '{password}'");
            if (!report.AdminPasswordFromConfiguration)
            {
                lines.Add("  This password is shown only now. Change it with: ./run user password --username admin");
            }
        }
        if (report.RuntimeRoleWarning is { } warning)
        {
            // Also logged; repeated here because the banner is what the person who started Fiscus reads.
            lines.Add("");
            lines.Add($"  WARNING: {warning}");
        }
        lines.Add("");
        return lines;
    }
}
