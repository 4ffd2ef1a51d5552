using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Fiscus.Testing;

namespace Fiscus.Server.Tests;

/// <summary>
/// What an operator's log shows of faults that are not Fiscus's (issue 16), read from the real server process's output:
/// the database going away under a load balancer's readiness polls is one warning when it goes and one line when it comes
/// back, never a stack trace per poll; a client resetting its connection mid-body is not an error.
/// </summary>
public sealed class ServerLogTests : IAsyncLifetime
{
    readonly string database = TestDatabases.NewName("serverlog");

    public Task InitializeAsync() => TestDatabases.CreateAsync(database);

    public Task DisposeAsync() => TestDatabases.DropAsync(database);

    [Fact]
    public async Task Unready_polls_and_client_resets_leave_a_meaningful_log()
    {
        await using var link = new BreakingLink(TestDatabases.ServerConnectionString);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fiscus.dll"));
        start.Environment["FISCUS_MIGRATION_DATABASE"] = TestDatabases.ConnectionStringFor(database);
        start.Environment["FISCUS_DATABASE"] = link.Through(TestDatabases.RuntimeConnectionStringFor(database));
        start.Environment["FISCUS_ADMIN_PASSWORD"] = FiscusFactory.AdminPassword;
        start.Environment["FISCUS_TIME_ZONE"] = "UTC";
        start.Environment["FISCUS_URLS"] = $"http://127.0.0.1:{port}";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            Assert.True(await ReadyAsync(http, HttpStatusCode.OK), "the server never became ready");

            // Three clients reset their connections in the middle of a payment's body.
            for (var i = 0; i < 3; i++)
            {
                await ResetMidBodyAsync(port);
            }

            // The database goes away: a load balancer polls twenty times; then it comes back.
            link.Down();
            for (var i = 0; i < 20; i++)
            {
                using var poll = await http.GetAsync("/health/ready");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, poll.StatusCode);
            }
            link.Up();
            Assert.True(await ReadyAsync(http, HttpStatusCode.OK), "the server did not become ready again");
        }
        finally
        {
            // SIGTERM: the console logger flushes what it queued as the host stops.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
        }

        string log;
        lock (output)
        {
            log = output.ToString();
        }
        var lines = log.ReplaceLineEndings("\n").Split('\n');
        Assert.False(lines.Any(l => l.Contains(" fail: ", StringComparison.Ordinal)), log);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        Assert.True(1 == lines.Count(l => l.Contains("warn: Fiscus.Server.Health.ReadinessLog", StringComparison.Ordinal) &&
            l.Contains("Not ready: the database does not answer", StringComparison.Ordinal)), log);
        Assert.True(1 == lines.Count(l => l.Contains("Ready again after", StringComparison.Ordinal) && l.Contains("failed checks", StringComparison.Ordinal)), log);
        Assert.Equal(3, lines.Count(l => l.Contains("HTTP POST /api/v1/patrons/1/account/payments responded 400", StringComparison.Ordinal)));
    }

    static async Task<bool> ReadyAsync(HttpClient http, HttpStatusCode wanted)
    {
        for (var i = 0; i < 120; i++)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == wanted)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(500);
        }
        return false;
    }

    /// <summary>Sends a payment's headers and half its body as the admin, waits until it is being read, then resets (RST).</summary>
    static async Task ResetMidBodyAsync(int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{FiscusFactory.AdminPassword}"));
        var head = "POST /api/v1/patrons/1/account/payments HTTP/1.1\r\nHost: fiscus\r\nContent-Type: application/json\r\n" +
            $"Authorization: Basic {basic}\r\nContent-Length: 500\r\n\r\n{{\"debit_type\": \"PRINT\", \"amo";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));
        // Past the sign-in's password hash: the endpoint is reading the body when the connection goes.
        await Task.Delay(1500);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
