using System.Net;
using Fiscus.Server.Configuration;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Fiscus.Server.Http;

/// <summary>
/// <c>FISCUS_TRUSTED_PROXIES</c>: the reverse proxies (addresses and CIDR networks) whose <c>X-Forwarded-For</c>,
/// <c>-Proto</c> and <c>-Host</c> Fiscus believes. With none configured the headers are ignored entirely:
/// anyone can send them, so believing them from anyone would let a password guesser pick a fresh address for
/// every attempt and write any address into the audit log. Once believed, the client's address is what the
/// sign-in throttle counts and the audit records, and <c>Request.IsHttps</c> (the login cookie's Secure flag,
/// HSTS) and the request's own origin (the cross-site check) are those the client used.
/// </summary>
public static class TrustedProxies
{
    public const string Setting = "FISCUS_TRUSTED_PROXIES";

    /// <summary>Reads <c>10.0.0.5, 192.168.1.0/24, ::1</c>; a bad entry stops the start naming the setting.</summary>
    public static IReadOnlyList<IPNetwork> Parse(string? value)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new ConfigurationException(
                    $"{Setting} must list IP addresses and CIDR networks separated by commas (e.g. '10.0.0.5, 192.168.1.0/24'); " +
                    $"'{entry}' is neither.");
            }
        }
        return networks;
    }

    /// <summary>
    /// Refuses ASP.NET Core's own switch for forwarded headers (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>, read as
    /// the configuration key <c>ForwardedHeaders_Enabled</c>). It adds the framework's forwarded-headers filter ahead of
    /// Fiscus's pipeline and clears its list of known proxies, so X-Forwarded-For and -Proto would be believed from any
    /// peer, whatever <see cref="Setting"/> says: every guess could claim a fresh address, and the audit log would record
    /// whatever the client wrote.
    /// </summary>
    public static void RefuseFrameworkForwarding(IConfiguration configuration)
    {
        if (string.Equals(configuration["ForwardedHeaders_Enabled"], "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigurationException(
                "ASPNETCORE_FORWARDEDHEADERS_ENABLED=true makes ASP.NET Core believe X-Forwarded-For and X-Forwarded-Proto from any " +
                $"client, so Fiscus will not start with it. Unset it and list your reverse proxies in {Setting} instead " +
                "(e.g. '10.0.0.5, 192.168.1.0/24').");
        }
    }

    /// <summary>First in the pipeline, so everything after it sees the client as the proxy saw it.</summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app, IReadOnlyList<IPNetwork> proxies)
    {
        if (proxies.Count == 0)
        {
            // No middleware at all: with empty lists ASP.NET Core's forwarded headers would trust every peer.
            return app;
        }
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            // Walk X-Forwarded-For from the right while the hop that added an entry is trusted: behind a chain of
            // trusted proxies the client is the first untrusted address, and whatever a client wrote into the header
            // itself stays to the left of it, unread.
            ForwardLimit = null,
        };
        // ASP.NET Core trusts loopback by default; only the configured list counts here.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var network in proxies)
        {
            options.KnownIPNetworks.Add(network);
        }
        return app.UseForwardedHeaders(options);
    }
}
