using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>
/// Fiscus on real Kestrel at 127.0.0.1, for what depends on the TCP peer's address (the sign-in throttle, trusted
/// proxies, the audited address): the in-process TestServer has none. Clients connect from an address of the
/// loopback network of their choosing (all of 127.0.0.0/8 is this machine), so the server sees distinct peers.
/// </summary>
public sealed class RealServer : IAsyncDisposable
{
    readonly List<HttpClient> clients = [];

    RealServer(FiscusFactory factory, Uri address)
    {
        Factory = factory;
        Address = address;
    }

    public FiscusFactory Factory { get; }

    public Uri Address { get; }

    /// <summary>Starts Fiscus on the class's database with these settings (on top of the test defaults) and services.</summary>
    public static RealServer Start(
        string database, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var factory = new FiscusFactory(database, settings, services);
        // The tests on real Kestrel are mostly the sign-in throttle's: a few seconds on from a moment just before a minute
        // ends would find every budget whole again (a test refused once in ten runs was let in).
        factory.Clock.AdvanceToAFreshWindow();
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        try
        {
            factory.StartServer();
        }
        catch
        {
            factory.Dispose();
            throw;
        }
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new RealServer(factory, new Uri(address));
    }

    /// <summary>An HTTP client whose connections come from <paramref name="source"/> (e.g. 127.0.0.7).</summary>
    public HttpClient From(string source)
    {
        var local = new IPEndPoint(IPAddress.Parse(source), 0);
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(local);
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = Address };
        clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        clients.ForEach(c => c.Dispose());
        await Factory.DisposeAsync();
    }
}
