using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>
/// A TCP relay between the server under test and the real PostgreSQL that breaks a connection at the worst moment for a
/// money command: after PostgreSQL has committed a transaction and before its answer reaches the server (the COMMIT's
/// CommandComplete is dropped and both sides are closed), or just before the COMMIT reaches PostgreSQL. Only a transaction
/// whose SQL text mentions the armed marker is broken, once per arming. <see cref="Down"/> cuts every connection and
/// refuses new ones, as a stopped database does. It reads the wire protocol's message frames, nothing more, so the server
/// must send SQL text (Max Auto Prepare=0) without TLS.
/// </summary>
public sealed class BreakingLink : IAsyncDisposable
{
    public enum Moment { AfterCommit, BeforeCommit }

    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly EndPoint target;
    readonly ConcurrentDictionary<Relay, byte> relays = new();
    readonly CancellationTokenSource stopping = new();
    readonly Task accepting;
    Arming? armed;
    int breaks;
    volatile bool down;
    volatile bool silent;
    readonly ConcurrentBag<Socket> held = [];

    /// <param name="connectionString">Where PostgreSQL really is (a Unix socket directory or a TCP host).</param>
    public BreakingLink(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        target = settings.Host!.StartsWith('/')
            ? new UnixDomainSocketEndPoint(Path.Combine(settings.Host, $".s.PGSQL.{settings.Port}"))
            : new DnsEndPoint(settings.Host, settings.Port);
        listener.Start();
        accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>How many connections were broken by an arming.</summary>
    public int Breaks => Volatile.Read(ref breaks);

    /// <summary><paramref name="connectionString"/> with its host and port replaced by this relay's, plain text, no prepared statements.</summary>
    public string Through(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString)
    {
        Host = "127.0.0.1", Port = Port, SslMode = SslMode.Disable, GssEncryptionMode = GssEncryptionMode.Disable, MaxAutoPrepare = 0,
    }.ConnectionString;

    /// <summary>
    /// The settings of a Fiscus whose runtime pool goes through this relay: FISCUS_DATABASE for <paramref name="database"/> as
    /// the runtime role (tuned by <paramref name="connection"/>) and how long a lost COMMIT is asked about.
    /// </summary>
    public Dictionary<string, string?> ServerSettings(string database, int resolveSeconds, Action<NpgsqlConnectionStringBuilder>? connection = null)
    {
        var settings = new NpgsqlConnectionStringBuilder(Through(Fiscus.Testing.TestDatabases.RuntimeConnectionStringFor(database)));
        connection?.Invoke(settings);
        return new()
        {
            ["FISCUS_DATABASE"] = settings.ConnectionString,
            ["FISCUS_COMMIT_RESOLVE_SECONDS"] = resolveSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// Ends a fixture that runs through this relay: every connection cut (a transaction a half-open break left open ends) and
    /// the relay up again before <paramref name="disposeFixture"/> verifies the ledger; then the relay is closed.
    /// </summary>
    public async Task DisposeAfterAsync(Func<Task> disposeFixture)
    {
        Down();
        Up();
        await disposeFixture();
        await DisposeAsync();
    }

    /// <summary>Breaks the next transaction whose SQL mentions <paramref name="marker"/> at <paramref name="when"/>; then, if asked, goes <see cref="Down"/>.</summary>
    /// <param name="halfOpen">Close only the server-under-test's side: PostgreSQL's side stays open and silent, as after a network
    /// partition or a host that died without closing its sockets. Before the COMMIT, its backend then stays idle in transaction,
    /// holding its locks, until <see cref="Down"/> (or PostgreSQL's own timeouts) ends it.</param>
    public void Arm(Moment when, string marker, bool thenDown = false, bool halfOpen = false) =>
        Volatile.Write(ref armed, new Arming(when, marker, thenDown, halfOpen));

    /// <summary>Cuts every open connection and refuses new ones until <see cref="Up"/>.</summary>
    public void Down()
    {
        down = true;
        foreach (var relay in relays.Keys)
        {
            relay.Close();
        }
    }

    public void Up()
    {
        down = false;
        silent = false;
    }

    /// <summary>
    /// Takes new connections and never answers them, as a host whose packets a firewall drops (or a dead primary's address
    /// on a network that sends no reset): a connect times out. Open connections are cut. Until <see cref="Up"/>.
    /// </summary>
    public void Silent()
    {
        Down();
        silent = true;
    }

    async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (silent)
            {
                held.Add(client);
                continue;
            }
            if (down)
            {
                client.Close();
                continue;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    async Task RelayAsync(Socket client)
    {
        var server = new Socket(target.AddressFamily == AddressFamily.Unix ? AddressFamily.Unix : AddressFamily.InterNetwork,
            SocketType.Stream, target.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        var relay = new Relay(client, server);
        relays[relay] = 0;
        try
        {
            await server.ConnectAsync(target);
            await Task.WhenAll(FrontendAsync(relay), BackendAsync(relay));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or EndOfStreamException)
        {
        }
        finally
        {
            relay.Close();
            relays.TryRemove(relay, out _);
        }
    }

    /// <summary>The server's messages to PostgreSQL: which transaction mentions the marker, and a COMMIT held back.</summary>
    async Task FrontendAsync(Relay relay)
    {
        // The startup packet has no type byte: a length, then the rest.
        var length = await ReadInt32Async(relay.Client);
        var startup = await ReadExactlyAsync(relay.Client, length - 4);
        await relay.Server.SendAsync(Concat(Int32(length), startup), SocketFlags.None);
        while (true)
        {
            var type = (await ReadExactlyAsync(relay.Client, 1))[0];
            var size = await ReadInt32Async(relay.Client);
            var body = await ReadExactlyAsync(relay.Client, size - 4);
            if (type is (byte)'Q' or (byte)'P')
            {
                var text = Encoding.UTF8.GetString(body);
                if (Volatile.Read(ref armed) is { } arming)
                {
                    if (text.Contains(arming.Marker, StringComparison.Ordinal))
                    {
                        relay.Marked = true;
                    }
                    if (relay.Marked && arming.When == Moment.BeforeCommit && IsCommit(text) && Disarm(arming))
                    {
                        Break(relay, arming);
                        return;
                    }
                }
            }
            await relay.Server.SendAsync(Concat([type], Int32(size), body), SocketFlags.None);
        }
    }

    /// <summary>PostgreSQL's messages to the server: the COMMIT's CommandComplete of a marked transaction is never delivered.</summary>
    async Task BackendAsync(Relay relay)
    {
        while (true)
        {
            var type = (await ReadExactlyAsync(relay.Server, 1))[0];
            var size = await ReadInt32Async(relay.Server);
            var body = await ReadExactlyAsync(relay.Server, size - 4);
            if (type == (byte)'C' && relay.Marked && Encoding.ASCII.GetString(body).StartsWith("COMMIT\0", StringComparison.Ordinal) &&
                Volatile.Read(ref armed) is { When: Moment.AfterCommit } arming && Disarm(arming))
            {
                Break(relay, arming);
                return;
            }
            if (type == (byte)'Z' && body.Length == 1 && body[0] == (byte)'I')
            {
                relay.Marked = false; // the transaction is over
            }
            await relay.Client.SendAsync(Concat([type], Int32(size), body), SocketFlags.None);
        }
    }

    static bool IsCommit(string text) => text.TrimStart('\0').StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase) ||
        text.Contains("\0COMMIT", StringComparison.OrdinalIgnoreCase);

    /// <summary>Takes <paramref name="arming"/> for this connection, unless another connection took it first.</summary>
    bool Disarm(Arming arming) => Interlocked.CompareExchange(ref armed, null, arming) == arming;

    void Break(Relay relay, Arming arming)
    {
        Interlocked.Increment(ref breaks);
        if (arming.ThenDown)
        {
            Down();
        }
        if (arming.HalfOpen)
        {
            relay.Client.Close();
        }
        else
        {
            relay.Close();
        }
    }

    static async Task<int> ReadInt32Async(Socket socket) => BinaryPrimitives.ReadInt32BigEndian(await ReadExactlyAsync(socket, 4));

    static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }
            read += n;
        }
        return buffer;
    }

    static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        Down();
        foreach (var socket in held)
        {
            socket.Close();
        }
        await accepting;
        stopping.Dispose();
    }

    sealed record Arming(Moment When, string Marker, bool ThenDown, bool HalfOpen);

    sealed class Relay(Socket client, Socket server)
    {
        public Socket Client { get; } = client;

        public Socket Server { get; } = server;

        /// <summary>The current transaction mentioned the armed marker.</summary>
        public volatile bool Marked;

        public void Close()
        {
            Client.Close();
            Server.Close();
        }
    }
}
