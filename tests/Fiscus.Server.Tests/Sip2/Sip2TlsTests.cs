using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Fiscus.Server.Sip2;

namespace Fiscus.Server.Tests.Sip2;

/// <summary>SIP2 over TLS (<c>tls://</c>), with a certificate file (PEM and key) as an operator would give it, and UTF-8 on the wire.</summary>
public sealed class Sip2TlsFixture : Sip2Fixture
{
    readonly string directory = Directory.CreateTempSubdirectory("fiscus-sip2-tls-").FullName;

    public X509Certificate2 Certificate { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string?>? Settings()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=sip2.fiscus.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("sip2.fiscus.test");
        request.CertificateExtensions.Add(names.Build());
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certificatePath = Path.Combine(directory, "sip2.crt");
        var keyPath = Path.Combine(directory, "sip2.key");
        File.WriteAllText(certificatePath, Certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new Dictionary<string, string?>
        {
            [Sip2Options.UrlsSetting] = "tls://127.0.0.1:0",
            ["FISCUS_SIP2_CERTIFICATE"] = certificatePath,
            ["FISCUS_SIP2_CERTIFICATE_KEY"] = keyPath,
        };
    }

    public Task<Sip2Client> ConnectTlsAsync() => Sip2Client.ConnectAsync(IPAddress.Loopback.ToString(), Port, new Sip2ClientOptions
    {
        UseTls = true,
        TlsTargetHost = "sip2.fiscus.test",
        // The kiosk pins the library's certificate (it is self-signed here).
        ValidateServerCertificate = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == Certificate.GetCertHashString(),
    });
}

public sealed class Sip2TlsTests(Sip2TlsFixture fiscus) : IClassFixture<Sip2TlsFixture>
{
    [Fact]
    public async Task A_kiosk_logs_in_looks_up_and_pays_over_TLS()
    {
        var register = await fiscus.RegisterAsync();
        var (login, password) = await fiscus.SipLoginAsync(register);
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 3m);
        await fiscus.ScalarAsync<int>("UPDATE patrons SET surname = 'Søren Ærø' WHERE patron_id = @patron RETURNING 1", new { patron });

        await using var kiosk = await fiscus.ConnectTlsAsync();
        Assert.Equal("941", (await kiosk.LoginAsync(login, password)).Raw);
        var info = await kiosk.PatronInformationAsync("MAIN", card);
        Assert.EndsWith("Søren Ærø", info.Field("AE"), StringComparison.Ordinal);
        Assert.Equal("Y", (await kiosk.FeePaidAsync("MAIN", card, "3.00", Sip2Fixture.Currency, transactionId: "TLS-1")).FixedAt(0, 1));
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task Plain_text_on_the_TLS_port_gets_no_answer_and_the_port_keeps_serving()
    {
        await using (var plain = await Sip2Client.ConnectAsync(IPAddress.Loopback.ToString(), fiscus.Port,
            new Sip2ClientOptions { ReadTimeout = TimeSpan.FromSeconds(3) }))
        {
            await plain.SendRawAsync(Encoding.ASCII.GetBytes("9900302.00\r"));
            await Assert.ThrowsAnyAsync<Exception>(() => plain.ReadRawAsync());
        }
        await using var kiosk = await fiscus.ConnectTlsAsync();
        Assert.Equal("98", (await kiosk.ScStatusAsync()).CommandId);
    }
}
