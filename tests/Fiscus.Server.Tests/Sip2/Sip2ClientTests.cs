using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Fiscus.Server.Tests.Sip2;

// The test client's own framing, checked against a scripted ACS on a loopback socket (no Fiscus involved), so
// that a failure in the server tests can be trusted to be the server's.
public sealed class Sip2ClientTests
{
    private static readonly Encoding Ascii = Encoding.ASCII;

    [Fact]
    public async Task Error_detection_numbers_messages_0_to_9_and_verifies_every_response()
    {
        await using var acs = ScriptedAcs.Start(async (io, _) =>
        {
            for (var expected = 0; expected < 12; expected++)
            {
                var request = await io.ReadLineAsync();
                Assert.True(Sip2Checksum.Verify(request, Ascii), request);
                Assert.Equal($"AY{expected % 10}", request[^9..^6]);
                // answer with CR LF: the client must tolerate the LF
                await io.WriteAsync(Sip2Checksum.AppendSequenceAndChecksum("941", expected % 10, Ascii) + "\r\n");
            }
            await io.WriteAsync("941AY2AZFFFF\r");
        });
        await using var client = await Sip2Client.ConnectAsync("127.0.0.1", acs.Port,
            new Sip2ClientOptions { ErrorDetection = true, Encoding = Ascii });

        for (var i = 0; i < 12; i++)
        {
            var response = await client.LoginAsync("kiosk", "secret");
            Assert.Equal("1", response.FixedAt(0, 1));
            Assert.Equal(i % 10, response.Sequence);
            Assert.Equal(i % 10, client.LastSequence);
        }
        await Assert.ThrowsAsync<Sip2ChecksumException>(() => client.ReadRawAsync());
        await acs.Done;
    }

    [Fact]
    public async Task Error_detection_refuses_a_response_without_checksum()
    {
        await using var acs = ScriptedAcs.Start(async (io, _) =>
        {
            await io.ReadLineAsync();
            await io.WriteAsync("941\r");
        });
        await using var client = await Sip2Client.ConnectAsync("127.0.0.1", acs.Port,
            new Sip2ClientOptions { ErrorDetection = true });
        await Assert.ThrowsAsync<Sip2ChecksumException>(() => client.LoginAsync("kiosk", "secret"));
    }

    [Fact]
    public async Task Resend_repeats_the_exact_bytes_and_97_uses_no_sequence_number()
    {
        var received = new List<string>();
        await using var acs = ScriptedAcs.Start(async (io, _) =>
        {
            received.Add(await io.ReadLineAsync());
            received.Add(await io.ReadLineAsync()); // the retry, answered once
            await io.WriteAsync(Sip2Checksum.AppendSequenceAndChecksum("38Y20240101    120000AOlib|AAp1|BKtx1|", 0, Ascii) + "\r");
            received.Add(await io.ReadLineAsync()); // 97
            await io.WriteAsync(Sip2Checksum.AppendSequenceAndChecksum("38Y20240101    120000AOlib|AAp1|BKtx1|", 0, Ascii) + "\r");
            received.Add(await io.ReadLineAsync()); // the next new message
            await io.WriteAsync(Sip2Checksum.AppendSequenceAndChecksum("36Y20240101    120000AOlib|AAp1|", 1, Ascii) + "\r");
        });
        await using var client = await Sip2Client.ConnectAsync("127.0.0.1", acs.Port,
            new Sip2ClientOptions { ErrorDetection = true });

        var sent = await client.SendMessageAsync(Sip2Requests.FeePaid("lib", "p1", "1.00", "EUR", transactionId: "tx1"));
        await client.ResendLastAsync();
        var paid = await client.ReadResponseAsync();
        var again = await client.RequestAcsResendAsync();
        var ended = await client.EndPatronSessionAsync("lib", "p1");
        await acs.Done;

        Assert.Equal(Ascii.GetString(sent).TrimEnd('\r'), received[0]);
        Assert.Equal(received[0], received[1]);
        Assert.Equal("97AZFEF5", received[2]);
        Assert.Equal("AY1", received[3][^9..^6]);
        Assert.Equal("tx1", paid.Field("BK"));
        Assert.Equal(paid.Raw, again.Raw);
        Assert.Equal("Y", ended.FixedAt(0, 1));
    }

    [Fact]
    public async Task Reads_time_out_and_a_closed_connection_is_reported()
    {
        var release = new TaskCompletionSource();
        await using var acs = ScriptedAcs.Start(async (io, socket) =>
        {
            await io.ReadLineAsync();
            await io.WriteAsync("94"); // half a response, then silence
            await release.Task;
            socket.Shutdown(SocketShutdown.Both);
        });
        await using var client = await Sip2Client.ConnectAsync("127.0.0.1", acs.Port,
            new Sip2ClientOptions { ReadTimeout = TimeSpan.FromMilliseconds(300) });

        var timedOut = await Assert.ThrowsAsync<TimeoutException>(() => client.LoginAsync("kiosk", "secret"));
        Assert.Contains("'94'", timedOut.Message);
        release.SetResult();
        await Assert.ThrowsAsync<EndOfStreamException>(() => client.ReadRawAsync());
    }

    [Fact]
    public async Task Sends_raw_and_slow_bytes_as_given_and_can_reset_the_connection()
    {
        await using var acs = ScriptedAcs.Start(async (io, _) =>
        {
            Assert.Equal("9900402.00", await io.ReadLineAsync());
            await io.WriteAsync("98YYNYNN01000320240101    1200002.00AOlib|BXYNNNYYYYYNNNNNNN|\r");
            Assert.Equal("2300", await io.ReadToEndAsync()); // half a message, then the reset
        });
        await using var client = await Sip2Client.ConnectAsync("127.0.0.1", acs.Port);

        await client.SendSlowlyAsync(Encoding.UTF8.GetBytes("9900402.00\r"), TimeSpan.FromMilliseconds(5));
        var status = await client.ReadResponseAsync();
        Assert.Equal("YNNNYYYYYNNNNNNN", status.Field("BX"));
        await client.SendRawAsync("2300");
        await Task.Delay(100);
        client.Abort();
        await acs.Done;
    }

    [Fact]
    public async Task Latin1_and_utf8_put_different_bytes_on_the_wire()
    {
        var received = new List<byte[]>();
        foreach (var encoding in new Encoding[] { Encoding.Latin1, new UTF8Encoding(false) })
        {
            await using var acs = ScriptedAcs.Start(async (io, _) => received.Add(await io.ReadLineBytesAsync()));
            await using var client = await Sip2Client.ConnectAsync("127.0.0.1", acs.Port,
                new Sip2ClientOptions { Encoding = encoding, ErrorDetection = true });
            await client.SendMessageAsync(Sip2Requests.Login("kiosk", "\u00e9"));
            await acs.Done;
        }

        Assert.Contains((byte)0xE9, received[0]);
        Assert.True(Sip2Checksum.Verify(received[0]));
        Assert.Equal(received[0].Length + 1, received[1].Length);
        Assert.True(Sip2Checksum.Verify(received[1]));
    }

    [Fact]
    public async Task Talks_tls_with_the_certificate_check_the_test_supplies()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=sip2.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        string? seenThumbprint = null;

        await using var acs = ScriptedAcs.Start(async (_, socket) =>
        {
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsServerAsync(certificate);
            var io = new LineIo(tls);
            Assert.Equal("9300CNkiosk|COsecret|", await io.ReadLineAsync());
            await io.WriteAsync("941\r");
        });
        await using var client = await Sip2Client.ConnectAsync("127.0.0.1", acs.Port, new Sip2ClientOptions
        {
            TlsTargetHost = "sip2.test",
            ValidateServerCertificate = (_, cert, _, _) =>
            {
                seenThumbprint = cert?.GetCertHashString();
                return cert is not null && cert.GetCertHashString() == certificate.GetCertHashString();
            },
        });

        var response = await client.LoginAsync("kiosk", "secret");
        await acs.Done;
        Assert.Equal("1", response.FixedAt(0, 1));
        Assert.Equal(certificate.GetCertHashString(), seenThumbprint);
    }

    /// <summary>A fake ACS on a loopback port that runs one script on the first connection it accepts.</summary>
    private sealed class ScriptedAcs : IAsyncDisposable
    {
        private readonly TcpListener _listener;

        private ScriptedAcs(TcpListener listener, Func<LineIo, Socket, Task> script)
        {
            _listener = listener;
            Done = RunAsync(script);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>Completes when the script has run, failing if the script failed (its asserts included).</summary>
        public Task Done { get; }

        public static ScriptedAcs Start(Func<LineIo, Socket, Task> script)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return new ScriptedAcs(listener, script);
        }

        private async Task RunAsync(Func<LineIo, Socket, Task> script)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var socket = await _listener.AcceptSocketAsync(timeout.Token);
            await using var stream = new NetworkStream(socket);
            await script(new LineIo(stream), socket);
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            try
            {
                await Done.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // a test that cares awaits Done itself; here we only make sure nothing is left running
            }
        }
    }

    /// <summary>CR-delimited reads and raw writes for the scripted ACS (Latin-1, so every byte maps to one char).</summary>
    private sealed class LineIo(Stream stream)
    {
        public async Task<byte[]> ReadLineBytesAsync()
        {
            var line = new List<byte>();
            var one = new byte[1];
            while (true)
            {
                if (await stream.ReadAsync(one) == 0)
                    throw new EndOfStreamException("The client closed the connection mid-line: " + Encoding.Latin1.GetString(line.ToArray()));
                if (one[0] == 0x0D)
                    return line.ToArray();
                line.Add(one[0]);
            }
        }

        public async Task<string> ReadLineAsync() => Encoding.Latin1.GetString(await ReadLineBytesAsync());

        public async Task<string> ReadToEndAsync()
        {
            var all = new MemoryStream();
            try
            {
                await stream.CopyToAsync(all);
            }
            catch (IOException)
            {
                // reset by the client: what was received so far is the answer
            }
            return Encoding.Latin1.GetString(all.ToArray());
        }

        public async Task WriteAsync(string text)
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(text));
            await stream.FlushAsync();
        }
    }
}
