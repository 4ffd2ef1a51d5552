using Fiscus.Server.Configuration;
using Fiscus.Server.Sip2;
using Microsoft.Extensions.Configuration;

namespace Fiscus.Server.Tests.Sip2;

/// <summary>FISCUS_SIP2_*: off by default; a bad setting stops the start with a message naming it.</summary>
public sealed class Sip2OptionsTests
{
    static Sip2Options Read(params (string Key, string Value)[] settings) => Sip2Options.FromConfiguration(
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void It_is_off_unless_urls_are_given_and_reads_each_address()
    {
        Assert.False(Read().Enabled);
        var options = Read(("FISCUS_SIP2_URLS", "tcp://0.0.0.0:6001; tcp://localhost:6003,tcp://[::1]:6004"), ("FISCUS_SIP2_ENCODING", "ibm850"));
        Assert.Equal(["0.0.0.0:6001", "127.0.0.1:6003", "[::1]:6004"], options.Endpoints.Select(e => e.EndPoint.ToString()));
        Assert.Equal(850, options.Encoding.CodePage);
    }

    [Theory]
    [InlineData("FISCUS_SIP2_URLS", "http://0.0.0.0:6001", "starts with tcp:// or tls://")]
    [InlineData("FISCUS_SIP2_URLS", "tcp://0.0.0.0", "ends with :PORT")]
    [InlineData("FISCUS_SIP2_URLS", "tcp://kiosk.example:6001", "names the host by IP address")]
    [InlineData("FISCUS_SIP2_URLS", "tls://0.0.0.0:6002", "FISCUS_SIP2_CERTIFICATE is not set")]
    [InlineData("FISCUS_SIP2_ENCODING", "ebcdic", "FISCUS_SIP2_ENCODING 'ebcdic'")]
    [InlineData("FISCUS_SIP2_IDLE_TIMEOUT_SECONDS", "0", "FISCUS_SIP2_IDLE_TIMEOUT_SECONDS must be")]
    public void A_bad_setting_is_named(string key, string value, string message)
    {
        var settings = key == "FISCUS_SIP2_URLS" ? new[] { (key, value) } : [("FISCUS_SIP2_URLS", "tcp://127.0.0.1:0"), (key, value)];
        var refused = Assert.Throws<ConfigurationException>(() => Read(settings));
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_file_that_is_missing_is_named()
    {
        var refused = Assert.Throws<ConfigurationException>(() => Read(("FISCUS_SIP2_URLS", "tls://127.0.0.1:0"),
            ("FISCUS_SIP2_CERTIFICATE", "/nonexistent/sip2.pem")));
        Assert.Contains("there is no file '/nonexistent/sip2.pem'", refused.Message, StringComparison.Ordinal);
    }
}
