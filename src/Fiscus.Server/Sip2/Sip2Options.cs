using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Fiscus.Server.Configuration;

namespace Fiscus.Server.Sip2;

/// <summary>One address the SIP2 server listens on: <c>tcp://HOST:PORT</c>, or <c>tls://HOST:PORT</c> with the certificate.</summary>
public sealed record Sip2Endpoint(IPEndPoint EndPoint, bool Tls, string Url);

/// <summary>
/// The SIP2 server's settings. It is off unless <c>FISCUS_SIP2_URLS</c> names where to listen.
/// </summary>
public sealed class Sip2Options
{
    public const string UrlsSetting = "FISCUS_SIP2_URLS";

    public IReadOnlyList<Sip2Endpoint> Endpoints { get; init; } = [];

    /// <summary>The certificate for <c>tls://</c> endpoints (with its private key).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>A connection that sends no complete message for this long is closed.</summary>
    public int IdleTimeoutSeconds { get; init; } = 300;

    /// <summary>A longer message closes the connection (nothing a kiosk sends comes near it).</summary>
    public int MaxMessageBytes { get; init; } = 4096;

    /// <summary>Open connections per instance; one more is closed as it arrives.</summary>
    public int MaxConnections { get; init; } = 200;

    /// <summary>How text is encoded on the wire (<c>FISCUS_SIP2_ENCODING</c>: utf-8, latin1, ibm850, ascii, windows-1252).</summary>
    public Encoding Encoding { get; init; } = new UTF8Encoding(false);

    /// <summary>The most fine items (AV) one 64 lists when the kiosk names no range (BP/BQ).</summary>
    public int MaxFineItems { get; init; } = 50;

    public bool Enabled => Endpoints.Count > 0;

    /// <summary>How long a connection that has not logged in (93) may wait between messages.</summary>
    public const int LoginDeadlineSeconds = 30;

    public static Sip2Options FromConfiguration(IConfiguration configuration)
    {
        var urls = configuration[UrlsSetting];
        if (string.IsNullOrWhiteSpace(urls))
        {
            return new Sip2Options();
        }
        var endpoints = urls.Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ParseUrl).ToList();
        X509Certificate2? certificate = null;
        var certificatePath = configuration["FISCUS_SIP2_CERTIFICATE"];
        if (endpoints.Any(e => e.Tls))
        {
            if (string.IsNullOrWhiteSpace(certificatePath))
            {
                throw new ConfigurationException(
                    $"{UrlsSetting} has a tls:// address but FISCUS_SIP2_CERTIFICATE is not set: give the certificate file (PEM with FISCUS_SIP2_CERTIFICATE_KEY, or PKCS#12).");
            }
            certificate = LoadCertificate(certificatePath, configuration["FISCUS_SIP2_CERTIFICATE_KEY"], configuration["FISCUS_SIP2_CERTIFICATE_PASSWORD"]);
        }
        return new Sip2Options
        {
            Endpoints = endpoints,
            Certificate = certificate,
            IdleTimeoutSeconds = Int(configuration, "FISCUS_SIP2_IDLE_TIMEOUT_SECONDS", 300, 5, 86400),
            MaxMessageBytes = Int(configuration, "FISCUS_SIP2_MAX_MESSAGE_BYTES", 4096, 512, 65536),
            MaxConnections = Int(configuration, "FISCUS_SIP2_MAX_CONNECTIONS", 200, 1, 100000),
            MaxFineItems = Int(configuration, "FISCUS_SIP2_MAX_FINE_ITEMS", 50, 1, 1000),
            Encoding = ParseEncoding(configuration["FISCUS_SIP2_ENCODING"]),
        };
    }

    static Sip2Endpoint ParseUrl(string url)
    {
        var tls = url.StartsWith("tls://", StringComparison.OrdinalIgnoreCase);
        if (!tls && !url.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
        {
            throw Bad(url, "starts with tcp:// or tls://");
        }
        var rest = url[6..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw Bad(url, "ends with :PORT");
        }
        var host = rest[..colon].Trim('[', ']');
        var address = host switch
        {
            "*" or "+" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ when IPAddress.TryParse(host, out var parsed) => parsed,
            _ => throw Bad(url, "names the host by IP address (0.0.0.0 for every interface), * or localhost"),
        };
        return new Sip2Endpoint(new IPEndPoint(address, port), tls, url);
    }

    static ConfigurationException Bad(string url, string rule) =>
        new($"{UrlsSetting}: '{url}' is not an address to listen on; each one {rule}, e.g. tcp://0.0.0.0:6001 or tls://0.0.0.0:6002.");

    static X509Certificate2 LoadCertificate(string path, string? keyPath, string? password)
    {
        try
        {
            if (!File.Exists(path))
            {
                throw new ConfigurationException($"FISCUS_SIP2_CERTIFICATE: there is no file '{path}'.");
            }
            var certificate = !string.IsNullOrWhiteSpace(keyPath)
                ? X509Certificate2.CreateFromPemFile(path, keyPath)
                : path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".crt", StringComparison.OrdinalIgnoreCase)
                    ? X509Certificate2.CreateFromPemFile(path)
                    : X509CertificateLoader.LoadPkcs12FromFile(path, password);
            if (!certificate.HasPrivateKey)
            {
                throw new ConfigurationException(
                    $"FISCUS_SIP2_CERTIFICATE: '{path}' has no private key; give it in the file or in FISCUS_SIP2_CERTIFICATE_KEY.");
            }
            return certificate;
        }
        catch (CryptographicException e)
        {
            throw new ConfigurationException($"FISCUS_SIP2_CERTIFICATE: cannot read the certificate '{path}': {e.Message}");
        }
    }

    static Encoding ParseEncoding(string? name)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case null or "" or "utf-8" or "utf8":
                return new UTF8Encoding(false);
            case "latin1" or "latin-1" or "iso-8859-1":
                return Encoding.Latin1;
            case "ascii" or "us-ascii":
                return Encoding.ASCII;
            case "ibm850" or "cp850" or "850" or "windows-1252" or "cp1252":
                Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
                return Encoding.GetEncoding(name.Trim().ToLowerInvariant() switch
                {
                    "windows-1252" or "cp1252" => 1252,
                    _ => 850,
                });
            default:
                throw new ConfigurationException(
                    $"FISCUS_SIP2_ENCODING '{name}' is not one of utf-8 (the default), latin1, ibm850 (the spec's code page 850), windows-1252, ascii.");
        }
    }

    static int Int(IConfiguration configuration, string key, int fallback, int min, int max) =>
        FiscusOptions.Int(configuration, key, fallback, min, max);
}
