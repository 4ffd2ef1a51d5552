using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Fiscus.Server.Cli;

/// <summary>
/// "Address already in use" as one line that names the address and the setting, before the server migrates or
/// starts anything (and, should another program take the port in the meantime, from Kestrel's own failure too).
/// </summary>
public static partial class ListenAddresses
{
    /// <summary>The line to print when the server cannot listen at <paramref name="address"/> because something else does.</summary>
    public static string InUse(string address) =>
        $"fiscus: cannot serve at {address}: the address is already in use (is Fiscus already running?). " +
        "Choose another with FISCUS_URLS or --urls, e.g. FISCUS_URLS=http://127.0.0.1:5081";

    /// <summary>
    /// The first of <paramref name="urls"/> (as <c>--urls</c>/FISCUS_URLS give them, ';'-separated) where something already
    /// accepts connections, or null. Asked by connecting rather than binding: a port the last run left in TIME_WAIT is
    /// free to Kestrel (it reuses addresses) but would refuse a test bind. Host names other than localhost are left to Kestrel.
    /// </summary>
    public static async Task<string?> FirstInUseAsync(string? urls, CancellationToken cancellationToken = default)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Endpoint(url) is not { } endpoint)
            {
                continue;
            }
            using var client = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await client.ConnectAsync(endpoint, timeout.Token);
                return url;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // Refused (free), unreachable or slow: Kestrel will say what it finds.
            }
        }
        return null;
    }

    /// <summary>The address Kestrel names in its "Failed to bind to address ...: address already in use." failure, or null.</summary>
    public static string? FromBindFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (BindFailure().Match(e.Message) is { Success: true } match)
            {
                return match.Groups[1].Value;
            }
        }
        return null;
    }

    static IPEndPoint? Endpoint(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return null;
        }
        if (address.IsNamedPipe || address.IsUnixPipe || address.Port is <= 0 or > 65535)
        {
            return null;
        }
        var host = address.Host.Trim('[', ']');
        IPAddress? ip = host switch
        {
            "*" or "+" or "0.0.0.0" or "localhost" => IPAddress.Loopback,
            "::" => IPAddress.IPv6Loopback,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        return ip is null ? null : new IPEndPoint(ip, address.Port);
    }

    [GeneratedRegex(@"Failed to bind to address (\S+?):? address already in use", RegexOptions.IgnoreCase)]
    private static partial Regex BindFailure();
}
