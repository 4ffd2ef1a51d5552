using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Fiscus.Server.Tests.Sip2;

// A SIP2 client for the tests, written from the specification ("3M Standard Interchange Protocol Version 2.00",
// as digested in /work/shared/reference/others.md §4) and deliberately not from the Fiscus server's code, so that
// a misreading of the spec on the server side shows up as a failing test instead of hiding in a shared helper.
//
// The protocol in one paragraph: a message is a 2-digit command id, then the command's fixed fields (no ids,
// fixed widths, fixed order), then variable fields "XXvalue|" (a 2-letter id, up to 255 chars, '|' terminated)
// in any order, then, only when error detection is on, "AY<seq>AZ<checksum>", then a carriage return. The SC
// (self-check unit: here, this client) sends requests; the ACS (the library system: Fiscus) answers every
// recognised request with exactly one response.
//
// The request builders do NOT validate anything (a 4-letter currency or a '|' inside a value goes out as given),
// so that the tests can send bad input on purpose. The response parser IS strict: it throws a FormatException on
// anything the spec does not allow, so that a malformed answer from the server fails the test that received it.

/// <summary>One variable field of a message: its 2-letter id and its value (without the '|' terminator).</summary>
public sealed record Sip2Field(string Id, string Value);

/// <summary>The spec's 18-char date "YYYYMMDDZZZZHHMMSS": ZZZZ is four blanks for local time, "   Z" for UTC.</summary>
public static class Sip2Date
{
    public static string Local(DateTime localTime) =>
        localTime.ToString("yyyyMMdd'    'HHmmss", CultureInfo.InvariantCulture);

    public static string Utc(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyyMMdd'   Z'HHmmss", CultureInfo.InvariantCulture);

    public static string Now() => Local(DateTime.Now);
}

/// <summary>
/// The error-detection checksum (spec: "Error Detection"). Sum the byte values of the message from the first
/// character of the command id through the "AZ" of the checksum field, keep the low 16 bits, take the two's
/// complement and write it as 4 hex digits (we write uppercase; case is not specified, so we accept both).
/// Equivalently, a received message is intact when the sum of its bytes through "AZ" plus the checksum's value
/// is 0 modulo 2^16. Bytes are those of the connection's encoding (for UTF-8 a non-ASCII char counts each byte).
/// </summary>
public static class Sip2Checksum
{
    public static string Compute(ReadOnlySpan<byte> throughAz)
    {
        var sum = 0;
        foreach (var b in throughAz)
            sum += b;
        return ((-sum) & 0xFFFF).ToString("X4", CultureInfo.InvariantCulture);
    }

    public static string Compute(string throughAz, Encoding encoding) => Compute(encoding.GetBytes(throughAz));

    /// <summary>True when the message (without its CR) ends in "AZ" + 4 hex digits that match its bytes.</summary>
    public static bool Verify(ReadOnlySpan<byte> message)
    {
        if (message.Length < 6 || message[^6] != (byte)'A' || message[^5] != (byte)'Z')
            return false;
        var hex = Encoding.ASCII.GetString(message[^4..]);
        if (!hex.All(Uri.IsHexDigit)
            || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            return false;
        var sum = value;
        foreach (var b in message[..^4])
            sum += b;
        return (sum & 0xFFFF) == 0;
    }

    public static bool Verify(string message, Encoding encoding) => Verify(encoding.GetBytes(message));

    /// <summary>Appends "AY&lt;seq&gt;AZ&lt;checksum&gt;" (the sequence number is one digit, 0-9).</summary>
    public static string AppendSequenceAndChecksum(string body, int sequence, Encoding encoding)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, 9);
        var throughAz = body + "AY" + sequence.ToString(CultureInfo.InvariantCulture) + "AZ";
        return throughAz + Compute(throughAz, encoding);
    }

    /// <summary>Appends "AZ&lt;checksum&gt;" only: the form of 97 Request ACS Resend and 96 Request SC Resend.</summary>
    public static string AppendChecksum(string body, Encoding encoding) =>
        body + "AZ" + Compute(body + "AZ", encoding);
}

/// <summary>
/// Request bodies (command id, fixed fields, variable fields; no AY/AZ, no CR) in the spec's field order.
/// Optional fields are left out when null. Defaults: language "000" (unknown), date = now in local time.
/// </summary>
public static class Sip2Requests
{
    /// <summary>Summary for 63 that asks for the fine items list: 'Y' at position 3 (0-based) of 10.</summary>
    public const string FineItemsSummary = "   Y      ";

    /// <summary>No detail list requested.</summary>
    public const string NoSummary = "          ";

    /// <summary>
    /// 93 Login: UID algorithm (1) and PWD algorithm (1), '0' = not encrypted; CN login user id, CO login
    /// password, optional CP location code. Must be the first message when the ACS requires a login.
    /// </summary>
    public static string Login(string user, string password, string? location = null,
        char uidAlgorithm = '0', char pwdAlgorithm = '0') =>
        $"93{uidAlgorithm}{pwdAlgorithm}" + Field("CN", user) + Field("CO", password) + Optional("CP", location);

    /// <summary>
    /// 99 SC Status: status code (1: 0 OK, 1 printer out of paper, 2 about to shut down), max print width (3),
    /// protocol version (4, "x.xx"). No variable fields. The answer is 98 ACS Status.
    /// </summary>
    public static string ScStatus(char status = '0', string maxPrintWidth = "040", string protocolVersion = "2.00") =>
        $"99{status}{maxPrintWidth}{protocolVersion}";

    /// <summary>
    /// 23 Patron Status Request: language (3), transaction date (18); AO institution id, AA patron identifier,
    /// AC terminal password, AD patron password (the spec lists AC and AD as required; empty values are allowed,
    /// so pass "" to send an empty field and null to leave it out).
    /// </summary>
    public static string PatronStatus(string institution, string patron, string? terminalPassword = "",
        string? patronPassword = "", string language = "000", string? transactionDate = null) =>
        $"23{language}{transactionDate ?? Sip2Date.Now()}" + Field("AO", institution) + Field("AA", patron)
        + Optional("AC", terminalPassword) + Optional("AD", patronPassword);

    /// <summary>
    /// 63 Patron Information: language (3), transaction date (18), summary (10: a 'Y' in one position asks for
    /// that detail list, 0 hold, 1 overdue, 2 charged, 3 fine items, 4 recall, 5 unavailable holds); AO, AA,
    /// optional AC terminal password, AD patron password, BP start item and BQ end item (1-based range).
    /// </summary>
    public static string PatronInformation(string institution, string patron, string summary = FineItemsSummary,
        string? terminalPassword = null, string? patronPassword = null, string? startItem = null,
        string? endItem = null, string language = "000", string? transactionDate = null) =>
        $"63{language}{transactionDate ?? Sip2Date.Now()}{summary}" + Field("AO", institution) + Field("AA", patron)
        + Optional("AC", terminalPassword) + Optional("AD", patronPassword)
        + Optional("BP", startItem) + Optional("BQ", endItem);

    /// <summary>
    /// 37 Fee Paid: transaction date (18), fee type (2: 01 other/unknown, 02 administrative, 03 damage,
    /// 04 overdue, 05 processing, 06 rental, 07 replacement, 08 computer access, 09 hold fee), payment type
    /// (2: 00 cash, 01 VISA, 02 credit card), currency type (3, ISO 4217); BV fee amount (the amount paid),
    /// AO, AA, optional AC, AD, CG fee identifier (the fee to apply the payment to), BK transaction id
    /// (assigned by the payment device).
    /// </summary>
    public static string FeePaid(string institution, string patron, string amount, string currency,
        string feeType = "01", string paymentType = "00", string? terminalPassword = null,
        string? patronPassword = null, string? feeIdentifier = null, string? transactionId = null,
        string? transactionDate = null) =>
        $"37{transactionDate ?? Sip2Date.Now()}{feeType}{paymentType}{currency}" + Field("BV", amount)
        + Field("AO", institution) + Field("AA", patron) + Optional("AC", terminalPassword)
        + Optional("AD", patronPassword) + Optional("CG", feeIdentifier) + Optional("BK", transactionId);

    /// <summary>35 End Patron Session: transaction date (18); AO, AA, optional AC, AD. Answered by 36.</summary>
    public static string EndPatronSession(string institution, string patron, string? terminalPassword = null,
        string? patronPassword = null, string? transactionDate = null) =>
        $"35{transactionDate ?? Sip2Date.Now()}" + Field("AO", institution) + Field("AA", patron)
        + Optional("AC", terminalPassword) + Optional("AD", patronPassword);

    /// <summary>97 Request ACS Resend: no fields; with error detection it carries AZ but never AY.</summary>
    public const string RequestAcsResend = "97";

    // The messages below are ones Fiscus does not support; the tests send them to check the negative answers.

    /// <summary>11 Checkout: SC renewal policy (Y/N), no block (Y/N), transaction date (18), nb due date (18); AO, AA, AB item, AC.</summary>
    public static string Checkout(string institution, string patron, string item, string? transactionDate = null) =>
        $"11NN{transactionDate ?? Sip2Date.Now()}{Blank18}" + Field("AO", institution) + Field("AA", patron)
        + Field("AB", item) + Field("AC", "");

    /// <summary>09 Checkin: no block (Y/N), transaction date (18), return date (18); AP current location, AO, AB, AC.</summary>
    public static string Checkin(string institution, string item, string? transactionDate = null)
    {
        var date = transactionDate ?? Sip2Date.Now();
        return $"09N{date}{date}" + Field("AP", "") + Field("AO", institution) + Field("AB", item) + Field("AC", "");
    }

    /// <summary>17 Item Information: transaction date (18); AO, AB item identifier, optional AC.</summary>
    public static string ItemInformation(string institution, string item, string? transactionDate = null) =>
        $"17{transactionDate ?? Sip2Date.Now()}" + Field("AO", institution) + Field("AB", item);

    /// <summary>29 Renew: third party allowed (Y/N), no block (Y/N), transaction date (18), nb due date (18); AO, AA, AB.</summary>
    public static string Renew(string institution, string patron, string item, string? transactionDate = null) =>
        $"29NN{transactionDate ?? Sip2Date.Now()}{Blank18}" + Field("AO", institution) + Field("AA", patron)
        + Field("AB", item);

    /// <summary>65 Renew All: transaction date (18); AO, AA.</summary>
    public static string RenewAll(string institution, string patron, string? transactionDate = null) =>
        $"65{transactionDate ?? Sip2Date.Now()}" + Field("AO", institution) + Field("AA", patron);

    /// <summary>15 Hold: hold mode (1: + add, - delete, * change), transaction date (18); AO, AA, AB.</summary>
    public static string Hold(string institution, string patron, string item, char mode = '+',
        string? transactionDate = null) =>
        $"15{mode}{transactionDate ?? Sip2Date.Now()}" + Field("AO", institution) + Field("AA", patron)
        + Field("AB", item);

    /// <summary>19 Item Status Update: transaction date (18); AO, AB, CH item properties.</summary>
    public static string ItemStatusUpdate(string institution, string item, string properties,
        string? transactionDate = null) =>
        $"19{transactionDate ?? Sip2Date.Now()}" + Field("AO", institution) + Field("AB", item)
        + Field("CH", properties);

    /// <summary>25 Patron Enable: transaction date (18); AO, AA.</summary>
    public static string PatronEnable(string institution, string patron, string? transactionDate = null) =>
        $"25{transactionDate ?? Sip2Date.Now()}" + Field("AO", institution) + Field("AA", patron);

    /// <summary>01 Block Patron: card retained (Y/N), transaction date (18); AO, AL blocked card msg, AA, AC. Answered by 24.</summary>
    public static string BlockPatron(string institution, string patron, string message = "blocked by kiosk",
        string? transactionDate = null) =>
        $"01N{transactionDate ?? Sip2Date.Now()}" + Field("AO", institution) + Field("AL", message)
        + Field("AA", patron) + Field("AC", "");

    private const string Blank18 = "                  ";

    public static string Field(string id, string value) => id + value + "|";

    private static string Optional(string id, string? value) => value is null ? "" : Field(id, value);
}

/// <summary>A response split into command id, fixed part, variable fields (in order, repeats kept) and AY/AZ.</summary>
public sealed class Sip2Response
{
    /// <summary>
    /// Fixed-part widths of the ACS responses, from the spec (cross-checked with JSIP2's docs, FOLIO edge-sip2's
    /// templates and Koha's C4/SIP/Sip/MsgType.pm). Field ids are not self-delimiting (a fixed "AO..." could read
    /// as a field), so the parser has to be told where the fixed part ends.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, int> FixedLengths = new Dictionary<string, int>
    {
        ["94"] = 1,  // ok (1: 1 accepted, 0 not)
        ["98"] = 34, // on-line, checkin ok, checkout ok, ACS renewal policy, status update ok, off-line ok (Y/N
                     // each), timeout period (3), retries allowed (3), date/time sync (18), protocol version (4)
        ["96"] = 0,  // Request SC Resend: nothing (AZ only, with error detection)
        ["24"] = 35, // patron status (14), language (3), transaction date (18)
        ["64"] = 59, // patron status (14), language (3), date (18), then six 4-digit counts: hold, overdue,
                     // charged, fine, recall, unavailable holds ("    " when unsupported)
        ["38"] = 19, // payment accepted (Y/N), transaction date (18)
        ["36"] = 19, // end session (Y/N), transaction date (18)
        ["12"] = 22, // ok (0/1), renewal ok (Y/N), magnetic media (Y/N/U), desensitize (Y/N/U), date (18)
        ["10"] = 22, // ok (0/1), resensitize (Y/N), magnetic media (Y/N/U), alert (Y/N), date (18)
        ["30"] = 22, // as 12
        ["66"] = 27, // ok (0/1), renewed count (4), unrenewed count (4), date (18)
        ["18"] = 24, // circulation status (2), security marker (2), fee type (2), date (18)
        ["20"] = 19, // item properties ok (0/1), date (18)
        ["26"] = 35, // as 24
        ["16"] = 20, // ok (0/1), available (Y/N), date (18)
    };

    private Sip2Response(string raw, string commandId, string fixedPart, IReadOnlyList<Sip2Field> fields,
        int? sequence, string? checksum)
    {
        Raw = raw;
        CommandId = commandId;
        Fixed = fixedPart;
        Fields = fields;
        Sequence = sequence;
        Checksum = checksum;
    }

    /// <summary>The whole message as received, without the CR (or CR LF).</summary>
    public string Raw { get; }

    public string CommandId { get; }

    /// <summary>The fixed fields, concatenated, exactly as received.</summary>
    public string Fixed { get; }

    public IReadOnlyList<Sip2Field> Fields { get; }

    /// <summary>The AY sequence number, when present (the ACS echoes the request's).</summary>
    public int? Sequence { get; }

    /// <summary>The AZ checksum text, when present.</summary>
    public string? Checksum { get; }

    /// <summary>A slice of the fixed part, e.g. FixedAt(0, 1) for 94's ok flag.</summary>
    public string FixedAt(int start, int length) => Fixed.Substring(start, length);

    /// <summary>The first value of the field, or null when absent.</summary>
    public string? Field(string id) => Fields.FirstOrDefault(f => f.Id == id)?.Value;

    /// <summary>Every value of a field that may repeat (AV fine items, AF screen message, AG print line...).</summary>
    public IReadOnlyList<string> All(string id) => Fields.Where(f => f.Id == id).Select(f => f.Value).ToList();

    public bool Has(string id) => Fields.Any(f => f.Id == id);

    public override string ToString() => Raw;

    /// <summary>Parses a response whose command id is in <see cref="FixedLengths"/>.</summary>
    public static Sip2Response Parse(string raw)
    {
        if (raw.Length < 2)
            throw new FormatException($"A SIP2 message has at least a 2-char command id: '{raw}'");
        if (!FixedLengths.TryGetValue(raw[..2], out var fixedLength))
            throw new FormatException($"Unknown response command id '{raw[..2]}' (say its fixed length): '{raw}'");
        return Parse(raw, fixedLength);
    }

    /// <summary>Parses a message given the number of fixed-field chars after its command id.</summary>
    public static Sip2Response Parse(string raw, int fixedLength)
    {
        if (raw.Contains('\r') || raw.Contains('\0'))
            throw new FormatException($"CR and NUL may not appear inside a message: '{raw}'");
        if (raw.Length < 2 + fixedLength)
            throw new FormatException($"Message shorter than its command id and {fixedLength} fixed chars: '{raw}'");
        var commandId = raw[..2];
        if (!char.IsAsciiDigit(commandId[0]) || !char.IsAsciiDigit(commandId[1]))
            throw new FormatException($"Command id is not 2 digits: '{raw}'");
        var fixedPart = raw.Substring(2, fixedLength);
        var rest = raw[(2 + fixedLength)..];

        // Every variable field ends with '|'; only AY/AZ may follow the last one.
        var lastBar = rest.LastIndexOf('|');
        var body = rest[..(lastBar + 1)];
        var tail = rest[(lastBar + 1)..];
        int? sequence = null;
        string? checksum = null;
        if (tail.Length > 0)
        {
            if (tail.Length == 9 && tail.StartsWith("AY", StringComparison.Ordinal) && char.IsAsciiDigit(tail[2])
                && tail[3..5] == "AZ" && tail[5..].All(Uri.IsHexDigit))
            {
                sequence = tail[2] - '0';
                checksum = tail[5..];
            }
            else if (tail.Length == 6 && tail.StartsWith("AZ", StringComparison.Ordinal) && tail[2..].All(Uri.IsHexDigit))
                checksum = tail[2..];
            else
                throw new FormatException(
                    $"Text after the last field is neither a '|'-terminated field nor AY<n>AZ<xxxx>: '{tail}' in '{raw}'");
        }

        var fields = new List<Sip2Field>();
        if (body.Length > 0)
        {
            foreach (var part in body[..^1].Split('|'))
            {
                if (part.Length < 2)
                    throw new FormatException($"Variable field '{part}|' has no 2-char id: '{raw}'");
                fields.Add(new Sip2Field(part[..2], part[2..]));
            }
        }
        return new Sip2Response(raw, commandId, fixedPart, fields, sequence, checksum);
    }
}

/// <summary>Thrown when error detection is on and a response's checksum is missing or wrong.</summary>
public sealed class Sip2ChecksumException(string message) : Exception(message);

public sealed class Sip2ClientOptions
{
    /// <summary>Character set of the connection (the spec's default is code page 850; Fiscus uses UTF-8 or Latin-1).</summary>
    public Encoding Encoding { get; init; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>When on, every message gets AY/AZ and every response's checksum is verified.</summary>
    public bool ErrorDetection { get; init; }

    /// <summary>How long a read waits for a complete response before throwing TimeoutException.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Wrap the connection in TLS. Implied when <see cref="ValidateServerCertificate"/> is set.</summary>
    public bool UseTls { get; init; }

    /// <summary>The test's certificate check (e.g. accept the test's self-signed certificate).</summary>
    public RemoteCertificateValidationCallback? ValidateServerCertificate { get; init; }

    /// <summary>TLS server name; defaults to the host connected to.</summary>
    public string? TlsTargetHost { get; init; }

    /// <summary>A response longer than this without a CR is a failure (guards a test against a runaway server).</summary>
    public int MaxResponseBytes { get; init; } = 1 << 20;
}

/// <summary>
/// A SIP2 connection over a real TCP socket (optionally TLS). Not thread-safe: one kiosk, one conversation,
/// like the real thing. Use one client per simulated kiosk.
/// </summary>
public sealed class Sip2Client : IAsyncDisposable
{
    private const byte Cr = 0x0D;
    private const byte Lf = 0x0A;

    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[8192];
    private int _bufferStart;
    private int _bufferEnd;
    private int _nextSequence;

    private Sip2Client(TcpClient tcp, Stream stream, Sip2ClientOptions options)
    {
        _tcp = tcp;
        _stream = stream;
        Options = options;
    }

    public Sip2ClientOptions Options { get; }

    public Encoding Encoding => Options.Encoding;

    /// <summary>The exact bytes of the last message sent with <see cref="SendMessageAsync"/> (CR included).</summary>
    public byte[]? LastSentBytes { get; private set; }

    /// <summary>The AY digit of the last message sent with error detection.</summary>
    public int? LastSequence { get; private set; }

    /// <summary>The exact bytes of the last response read (CR excluded).</summary>
    public byte[]? LastReceivedBytes { get; private set; }

    public static async Task<Sip2Client> ConnectAsync(string host, int port, Sip2ClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new Sip2ClientOptions();
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken);
            Stream stream = tcp.GetStream();
            if (options.UseTls || options.ValidateServerCertificate is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = options.TlsTargetHost ?? host,
                    RemoteCertificateValidationCallback = options.ValidateServerCertificate,
                }, cancellationToken);
                stream = ssl;
            }
            return new Sip2Client(tcp, stream, options);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    // ---- the supported conversation -------------------------------------------------------------------------

    /// <summary>93 -> 94. Check <c>response.FixedAt(0, 1) == "1"</c> for success.</summary>
    public Task<Sip2Response> LoginAsync(string user, string password, string? location = null) =>
        SendAsync(Sip2Requests.Login(user, password, location));

    /// <summary>99 -> 98 (BX says which messages the ACS supports).</summary>
    public Task<Sip2Response> ScStatusAsync(char status = '0', string maxPrintWidth = "040") =>
        SendAsync(Sip2Requests.ScStatus(status, maxPrintWidth));

    /// <summary>23 -> 24.</summary>
    public Task<Sip2Response> PatronStatusAsync(string institution, string patron, string? patronPassword = "") =>
        SendAsync(Sip2Requests.PatronStatus(institution, patron, "", patronPassword));

    /// <summary>63 -> 64, asking for the fine items (AV) by default.</summary>
    public Task<Sip2Response> PatronInformationAsync(string institution, string patron, string? patronPassword = null,
        string summary = Sip2Requests.FineItemsSummary, string? startItem = null, string? endItem = null) =>
        SendAsync(Sip2Requests.PatronInformation(institution, patron, summary, null, patronPassword, startItem, endItem));

    /// <summary>37 -> 38.</summary>
    public Task<Sip2Response> FeePaidAsync(string institution, string patron, string amount, string currency,
        string? feeIdentifier = null, string? transactionId = null, string paymentType = "00", string feeType = "01",
        string? patronPassword = null) =>
        SendAsync(Sip2Requests.FeePaid(institution, patron, amount, currency, feeType, paymentType, null,
            patronPassword, feeIdentifier, transactionId));

    /// <summary>35 -> 36.</summary>
    public Task<Sip2Response> EndPatronSessionAsync(string institution, string patron) =>
        SendAsync(Sip2Requests.EndPatronSession(institution, patron));

    /// <summary>
    /// 97: asks the ACS to send its last response again. With error detection it carries AZ only (never AY)
    /// and does not use up a sequence number.
    /// </summary>
    public async Task<Sip2Response> RequestAcsResendAsync(int? fixedLength = null)
    {
        var text = Options.ErrorDetection
            ? Sip2Checksum.AppendChecksum(Sip2Requests.RequestAcsResend, Encoding)
            : Sip2Requests.RequestAcsResend;
        await SendRawAsync(text + "\r");
        return await ReadResponseAsync(fixedLength);
    }

    // ---- framing ------------------------------------------------------------------------------------------

    /// <summary>Sends a request body (framed as configured) and reads and parses the response.</summary>
    public async Task<Sip2Response> SendAsync(string body, int? fixedLength = null)
    {
        await SendMessageAsync(body);
        return await ReadResponseAsync(fixedLength);
    }

    /// <summary>
    /// Frames and sends one new message: with error detection, appends AY (the next digit 0-9, cycling) and AZ;
    /// then CR. Returns the bytes sent, which <see cref="ResendLastAsync"/> can repeat exactly.
    /// </summary>
    public async Task<byte[]> SendMessageAsync(string body)
    {
        var text = body;
        if (Options.ErrorDetection)
        {
            LastSequence = _nextSequence;
            text = Sip2Checksum.AppendSequenceAndChecksum(body, _nextSequence, Encoding);
            _nextSequence = (_nextSequence + 1) % 10;
        }
        var bytes = Encoding.GetBytes(text + "\r");
        await SendRawAsync(bytes);
        LastSentBytes = bytes;
        return bytes;
    }

    /// <summary>
    /// Sends the exact bytes of the previous message again (same AY, same AZ): what a kiosk does when the reply
    /// was lost. The spec has the ACS answer with its last response instead of acting twice.
    /// </summary>
    public Task ResendLastAsync() =>
        SendRawAsync(LastSentBytes ?? throw new InvalidOperationException("Nothing has been sent yet."));

    /// <summary>Writes the bytes as given: no AY/AZ, no CR (half messages, garbage, hand-made frames).</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task SendRawAsync(string text) => SendRawAsync(Encoding.GetBytes(text));

    /// <summary>Writes the bytes one at a time with a pause between them (a slow or stalling sender).</summary>
    public async Task SendSlowlyAsync(byte[] bytes, TimeSpan delayBetweenBytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            await _stream.WriteAsync(bytes.AsMemory(i, 1));
            await _stream.FlushAsync();
            if (i < bytes.Length - 1)
                await Task.Delay(delayBetweenBytes);
        }
    }

    /// <summary>Reads one response and parses it (fixed length from the table unless given).</summary>
    public async Task<Sip2Response> ReadResponseAsync(int? fixedLength = null)
    {
        var raw = await ReadRawAsync();
        return fixedLength is { } length ? Sip2Response.Parse(raw, length) : Sip2Response.Parse(raw);
    }

    /// <summary>
    /// Reads up to the next CR and returns the text before it (a LF right after the CR is skipped, as some servers
    /// send CR LF). With error detection on, throws <see cref="Sip2ChecksumException"/> unless the message ends in
    /// a valid AZ checksum. Throws TimeoutException after <see cref="Sip2ClientOptions.ReadTimeout"/> and
    /// EndOfStreamException when the server closes the connection first.
    /// </summary>
    public async Task<string> ReadRawAsync()
    {
        using var timeout = new CancellationTokenSource(Options.ReadTimeout);
        var message = new List<byte>();
        var skipLeadingLf = true;
        while (true)
        {
            if (_bufferStart == _bufferEnd)
            {
                int read;
                try
                {
                    read = await _stream.ReadAsync(_buffer, timeout.Token);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    throw new TimeoutException(
                        $"No complete SIP2 response within {Options.ReadTimeout} (got so far: '{Encoding.GetString(message.ToArray())}')");
                }
                if (read == 0)
                    throw new EndOfStreamException(
                        $"The server closed the connection (got so far: '{Encoding.GetString(message.ToArray())}')");
                _bufferStart = 0;
                _bufferEnd = read;
            }

            var b = _buffer[_bufferStart++];
            if (skipLeadingLf && b == Lf && message.Count == 0)
                continue; // the LF of a previous CR LF
            skipLeadingLf = false;
            if (b == Cr)
                break;
            message.Add(b);
            if (message.Count > Options.MaxResponseBytes)
                throw new InvalidDataException($"A response longer than {Options.MaxResponseBytes} bytes without a CR.");
        }

        var bytes = message.ToArray();
        LastReceivedBytes = bytes;
        var text = Encoding.GetString(bytes);
        if (Options.ErrorDetection && !Sip2Checksum.Verify(bytes))
            throw new Sip2ChecksumException($"Missing or bad AZ checksum on the response '{text}'");
        return text;
    }

    /// <summary>True when the server has closed the connection (reads EOF within the timeout; no data expected).</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            if (_bufferStart != _bufferEnd)
                return false;
            var read = await _stream.ReadAsync(_buffer, timeout.Token);
            if (read == 0)
                return true;
            _bufferStart = 0;
            _bufferEnd = read;
            return false;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // reset by the server
        }
    }

    /// <summary>Closes abruptly: a TCP reset (linger 0), no goodbye, whatever was half sent stays half sent.</summary>
    public void Abort()
    {
        try
        {
            _tcp.Client.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // already gone
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        _tcp.Client.Close();
        _tcp.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _stream.DisposeAsync();
        }
        catch (IOException)
        {
            // the server may have reset the connection already
        }
        _tcp.Dispose();
    }
}
