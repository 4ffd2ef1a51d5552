using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Fiscus.Server.Sip2;

/// <summary>
/// One kiosk's socket: reads CR-terminated messages, checks error detection (<c>AY</c>/<c>AZ</c>), answers a bad
/// checksum with 96, a 97 with the last answer again, and a message repeated after a lost answer (same bytes, so the
/// same sequence number and checksum) with the last answer again instead of acting twice. Everything else goes to the
/// <see cref="Sip2Session"/>, one message at a time, answers in order.
/// </summary>
public sealed class Sip2Connection(Stream stream, Sip2Session session, Sip2Options options, ILogger logger, string remote)
{
    static readonly byte[] Az = "AZ"u8.ToArray();

    byte[]? lastRequest;
    byte[]? lastAnswer;

    /// <param name="stopping">Ends reading when the server stops; a message being answered is finished first.</param>
    public async Task RunAsync(CancellationToken stopping)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                ReadResult read;
                // The idle timeout runs from the end of the last message to the end of the next: a kiosk that trickles a
                // message byte by byte, or sends nothing, is closed after it.
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    // Until it logs in a connection gets less time, so sockets that never log in cannot hold the connection limit.
                    idle.CancelAfter(TimeSpan.FromSeconds(session.IsLoggedIn ? options.IdleTimeoutSeconds
                        : Math.Min(options.IdleTimeoutSeconds, Sip2Options.LoginDeadlineSeconds)));
                    var buffer = ReadOnlySequence<byte>.Empty;
                    do
                    {
                        read = await reader.ReadAsync(idle.Token);
                        buffer = read.Buffer;
                        if (buffer.PositionOf((byte)'\r') is not null || read.IsCompleted)
                        {
                            break;
                        }
                        if (buffer.Length > options.MaxMessageBytes)
                        {
                            logger.LogWarning("SIP2 connection from {Remote} closed: a message longer than {Max} bytes (FISCUS_SIP2_MAX_MESSAGE_BYTES)",
                                remote, options.MaxMessageBytes);
                            return;
                        }
                        reader.AdvanceTo(buffer.Start, buffer.End);
                    }
                    while (true);
                }
                var rest = read.Buffer;
                while (rest.PositionOf((byte)'\r') is { } end)
                {
                    var message = rest.Slice(0, end).ToArray();
                    rest = rest.Slice(rest.GetPosition(1, end));
                    if (message.Length > options.MaxMessageBytes)
                    {
                        logger.LogWarning("SIP2 connection from {Remote} closed: a message longer than {Max} bytes (FISCUS_SIP2_MAX_MESSAGE_BYTES)",
                            remote, options.MaxMessageBytes);
                        return;
                    }
                    await HandleAsync(message);
                }
                if (read.IsCompleted)
                {
                    // The kiosk closed its side; a message without its CR is not a message.
                    return;
                }
                reader.AdvanceTo(rest.Start, rest.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    async Task HandleAsync(byte[] raw)
    {
        // A kiosk that ends messages with CR LF leaves the LF at the start of the next one.
        var start = 0;
        while (start < raw.Length && raw[start] is (byte)'\n' or 0)
        {
            start++;
        }
        var bytes = start == 0 ? raw : raw[start..];
        if (bytes.Length == 0)
        {
            return;
        }
        var textLength = bytes.Length;
        char? sequence = null;
        var errorDetection = false;
        if (bytes.Length >= 6 && bytes.AsSpan(^6..^4).SequenceEqual(Az) && IsHex(bytes.AsSpan(^4..)))
        {
            errorDetection = true;
            if (!Sip2Checksum.Verify(bytes.AsSpan(..^4), bytes.AsSpan(^4..)))
            {
                logger.LogInformation("SIP2 message from {Remote} has a bad checksum: asked to resend", remote);
                await SendAsync(Sip2Checksummed("96"), remember: false);
                return;
            }
            textLength = bytes.Length - 6;
            if (textLength >= 3 && bytes[textLength - 3] == 'A' && bytes[textLength - 2] == 'Y' && char.IsAsciiDigit((char)bytes[textLength - 1]))
            {
                sequence = (char)bytes[textLength - 1];
                textLength -= 3;
            }
        }
        var command = bytes.Length >= 2 ? Encoding.ASCII.GetString(bytes, 0, 2) : "";
        if (command == "97")
        {
            // The kiosk did not get (or could not read) the last answer.
            await SendAsync(lastAnswer ?? Sip2Checksummed("96"), remember: false);
            return;
        }
        if (errorDetection && lastRequest is not null && lastAnswer is not null && bytes.AsSpan().SequenceEqual(lastRequest))
        {
            // The same message again, sequence number and checksum included: its answer was lost. Answer it again; act once.
            logger.LogInformation("SIP2 message {Command} from {Remote} repeated with the same sequence number: the last answer sent again",
                command, remote);
            await SendAsync(lastAnswer, remember: false);
            return;
        }
        // NUL may not appear in a message (the spec); one that does is read without it rather than stored or sent to the database.
        var message = Sip2Message.Parse(options.Encoding.GetString(bytes, 0, textLength).Replace("\0", "", StringComparison.Ordinal), sequence,
            errorDetection);
        if (message is null)
        {
            logger.LogInformation("SIP2 message from {Remote} ignored: it does not start with a command id", remote);
            return;
        }
        var answer = await session.HandleAsync(message);
        if (answer is null)
        {
            // A command id SIP2 does not define: the spec's answer is none (the connection stays open).
            logger.LogInformation("SIP2 command {Command} from {Remote} is not a SIP2 request: ignored", message.Command, remote);
            return;
        }
        lastRequest = bytes;
        await SendAsync(Frame(answer, message), remember: true);
    }

    /// <summary>The answer's bytes: with <c>AY</c> (echoed) and <c>AZ</c> when the request had error detection on.</summary>
    byte[] Frame(string answer, Sip2Message request)
    {
        var body = options.Encoding.GetBytes(answer);
        if (!request.ErrorDetection)
        {
            return [.. body, (byte)'\r'];
        }
        var suffix = request.Sequence is { } digit ? $"AY{digit}AZ" : "AZ";
        byte[] throughAz = [.. body, .. Encoding.ASCII.GetBytes(suffix)];
        return [.. throughAz, .. Encoding.ASCII.GetBytes(Sip2Checksum.Compute(throughAz)), (byte)'\r'];
    }

    static byte[] Sip2Checksummed(string command)
    {
        var throughAz = Encoding.ASCII.GetBytes(command + "AZ");
        return [.. throughAz, .. Encoding.ASCII.GetBytes(Sip2Checksum.Compute(throughAz)), (byte)'\r'];
    }

    async Task SendAsync(byte[] answer, bool remember)
    {
        if (remember)
        {
            lastAnswer = answer;
        }
        // A kiosk that stops reading its answers must not hold the connection (and a slot of the limit) forever once the
        // socket's buffers are full: a write gets the idle timeout too, after which the connection is closed.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(options.IdleTimeoutSeconds));
        await stream.WriteAsync(answer, timeout.Token);
        await stream.FlushAsync(timeout.Token);
    }

    static bool IsHex(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (!char.IsAsciiHexDigit((char)b))
            {
                return false;
            }
        }
        return true;
    }
}
