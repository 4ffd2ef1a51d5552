using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Fiscus.Server.Configuration;

namespace Fiscus.Server.Sip2;

/// <summary>
/// The SIP2 listener inside the Fiscus process: plain TCP or TLS sockets on <c>FISCUS_SIP2_URLS</c>, one
/// <see cref="Sip2Connection"/> per kiosk. It keeps nothing but the sockets (each connection's login and last answer),
/// so several instances behind a TCP load balancer are safe: every fact, and the BK transaction ids that make a Fee
/// Paid idempotent, are in PostgreSQL.
/// </summary>
public sealed class Sip2Server(Sip2Options options, Sip2Services services, ILogger<Sip2Server> logger) : IHostedService, IAsyncDisposable
{
    readonly List<Socket> listeners = [];
    readonly List<IPEndPoint> bound = [];
    readonly ConcurrentDictionary<long, Task> connections = new();
    readonly CancellationTokenSource stopping = new();
    readonly List<Task> acceptLoops = [];
    long nextConnectionId;
    int stopped;
    int open;

    /// <summary>Where the server listens (the ports the system gave, for endpoints configured with port 0).</summary>
    public IReadOnlyList<IPEndPoint> BoundEndPoints => bound;

    /// <summary>Connections open now.</summary>
    public int OpenConnections => Volatile.Read(ref open);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var endpoint in options.Endpoints)
        {
            var socket = new Socket(endpoint.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(endpoint.EndPoint);
                socket.Listen(512);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new ConfigurationException($"{Sip2Options.UrlsSetting}: cannot listen on {endpoint.Url}: {e.Message}");
            }
            listeners.Add(socket);
            var local = (IPEndPoint)socket.LocalEndPoint!;
            bound.Add(local);
            logger.LogInformation("SIP2 listening on {Scheme}://{EndPoint}", endpoint.Tls ? "tls" : "tcp", local);
            acceptLoops.Add(AcceptAsync(socket, endpoint));
        }
        return Task.CompletedTask;
    }

    async Task AcceptAsync(Socket listener, Sip2Endpoint endpoint)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // A client that reset before it was accepted; the listener itself is still fine.
                logger.LogDebug("SIP2 accept failed: {Error}", e.SocketErrorCode);
                continue;
            }
            if (Interlocked.Increment(ref open) > options.MaxConnections)
            {
                Interlocked.Decrement(ref open);
                logger.LogWarning("SIP2 connection from {Remote} refused: {Max} connections are open (FISCUS_SIP2_MAX_CONNECTIONS)",
                    client.RemoteEndPoint, options.MaxConnections);
                client.Close(0);
                continue;
            }
            var id = Interlocked.Increment(ref nextConnectionId);
            connections[id] = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client, endpoint, id);
                }
                finally
                {
                    Interlocked.Decrement(ref open);
                    connections.TryRemove(id, out _);
                }
            });
        }
    }

    async Task ServeAsync(Socket socket, Sip2Endpoint endpoint, long id)
    {
        var remote = (socket.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "unknown";
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (endpoint.Tls)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                handshake.CancelAfter(TimeSpan.FromSeconds(Math.Min(options.IdleTimeoutSeconds, 30)));
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = options.Certificate,
                    ClientCertificateRequired = false,
                }, handshake.Token);
            }
            var session = new Sip2Session(services, remote, id);
            await new Sip2Connection(stream, session, options, logger, remote).RunAsync(stopping.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or AuthenticationException or ObjectDisposedException)
        {
            // The kiosk went away, stalled past the idle timeout, or failed the TLS handshake: nothing to answer.
            logger.LogDebug("SIP2 connection {Id} from {Remote} closed: {Reason}", id, remote, e.Message);
        }
        catch (Exception e)
        {
            logger.LogError(e, "SIP2 connection {Id} from {Remote} failed", id, remote);
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref stopped, 1) == 1)
        {
            return;
        }
        await stopping.CancelAsync();
        foreach (var listener in listeners)
        {
            listener.Dispose();
        }
        await Task.WhenAll(acceptLoops).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(connections.Values).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <remarks>The host may stop the server after the container disposed it, or not at all: both end it once.</remarks>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);
}
