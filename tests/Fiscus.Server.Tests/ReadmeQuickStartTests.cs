using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Fiscus.Testing;

namespace Fiscus.Server.Tests;

/// <summary>
/// The README's "Quick start (five minutes)", taken from README.md as it stands when the test runs: its sh blocks, in order
/// and verbatim, run with <c>bash -euo pipefail</c> (curl and jq, as a newcomer would) against Fiscus on real Kestrel and a
/// fresh database, must exit 0, print the README's <c>#&gt;</c> lines, and leave the ledger the steps describe.
/// </summary>
public sealed class ReadmeQuickStartTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task The_quick_start_runs_verbatim_and_prints_what_the_README_shows()
    {
        var quickStart = QuickStart.FromReadme();
        // The Z-report ends with the ledger's latest seal; the background sealer is off in tests, so seal what the first start wrote.
        await fiscus.SealAllAsync();
        await using var server = RealServer.Start(fiscus.Factory.Database);

        var run = await QuickStart.RunAsync(quickStart.Script, server.Address);

        Assert.True(run.ExitCode == 0, $"the quick start failed\n{run}");
        QuickStart.AssertPrints(quickStart.Expected, run.Stdout);

        // What the steps did, read from the database rather than from what the script printed.
        var patronId = Assert.Single(await fiscus.QueryAsync<long>("SELECT patron_id FROM patrons"));
        Assert.Equal(0m, await fiscus.BalanceAsync(patronId));
        Assert.Equal(0L, await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE amount_outstanding_minor <> 0"));
        // The fee was paid once (sent twice with one Idempotency-Key), with the kiosk's client token, into the kiosk's register.
        var credit = Assert.Single(await fiscus.QueryAsync<(int? Register, int? ClientsRegister)>("""
            SELECT l.cash_register_id, c.cash_register_id FROM account_lines l LEFT JOIN api_clients c ON c.api_client_id = l.api_client_id
            WHERE l.patron_id = @patronId AND l.credit_type_code IS NOT NULL
            """, new { patronId }));
        Assert.NotNull(credit.ClientsRegister);
        Assert.Equal(credit.ClientsRegister, credit.Register);
        var registerId = credit.Register!.Value;
        // One completed cash-up of that register, for everything taken there: the kiosk's payment and the counter sale.
        var cashup = Assert.Single(await fiscus.QueryAsync<(int CashRegisterId, long? AmountMinor)>(
            "SELECT cash_register_id, amount_minor FROM cashups"));
        var takenMinor = await fiscus.ScalarAsync<long>(
            "SELECT -sum(amount_minor) FROM account_lines WHERE cash_register_id = @registerId AND credit_type_code IS NOT NULL", new { registerId });
        Assert.Equal((registerId, (long?)takenMinor), cashup);
        Assert.True(takenMinor > 0);

        // The Z-report, from the server the script used (its clock decides the business day): all that was charged was taken.
        var debitsMinor = await fiscus.ScalarAsync<long>("SELECT sum(amount_minor) FROM account_lines WHERE debit_type_code IS NOT NULL");
        var report = await ZReportAsync(server, registerId);
        Assert.Equal(debitsMinor / 100m, report["totals"]!["income_total"]!.GetValue<decimal>());
        Assert.Equal(takenMinor / 100m, report["totals"]!["total"]!.GetValue<decimal>());
        Assert.Equal(1, report["cashup_count"]!.GetValue<int>());
        Assert.Equal(0m, report["cashup_difference"]!.GetValue<decimal>());

        // fiscus verify: every ledger invariant, over a ledger sealed to its last row.
        await fiscus.SealAllAsync();
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Theory]
    [InlineData("payment_type: \"CARD\"", "paymnet_type: \"CARD\"", "paymnet_type")] // a field a request sends
    [InlineData("jq .patron_id", "jq .patron", "/api/v1/patrons/null/account/debits")] // a field read from an answer
    public async Task A_quick_start_with_a_broken_command_fails(string command, string broken, string reported)
    {
        var quickStart = QuickStart.FromReadme();
        Assert.Contains(command, quickStart.Script);
        // A database of its own: the steps before the broken one write what a second run could not write again.
        var database = TestDatabases.NewName("quickstart");
        await TestDatabases.CreateAsync(database, await TemplateDatabase.NameAsync());
        try
        {
            await using var server = RealServer.Start(database);
            var run = await QuickStart.RunAsync(quickStart.Script.Replace(command, broken, StringComparison.Ordinal), server.Address);

            Assert.True(run.ExitCode != 0, $"the broken quick start succeeded\n{run}");
            Assert.Contains(reported, run.Stderr);
        }
        finally
        {
            await TestDatabases.DropAsync(database);
        }
    }

    [Fact]
    public void Printing_anything_but_the_READMEs_lines_fails()
    {
        var expected = QuickStart.FromReadme().Expected;
        var printed = string.Join("\n", expected.Select(line => line.Replace("…", "x", StringComparison.Ordinal)));
        QuickStart.AssertPrints(expected, printed);
        // jq 1.7 keeps the server's 3.10 where Debian 12's jq 1.6 writes 3.1: the same amount.
        QuickStart.AssertPrints(["{\"amount\":3.1,\"change\":0}"], "{\"amount\":3.10,\"change\":0.00}");

        var changed = printed.Replace("1.75", "1.76", StringComparison.Ordinal);
        Assert.NotEqual(printed, changed);
        Assert.ThrowsAny<Exception>(() => QuickStart.AssertPrints(expected, changed));
        Assert.ThrowsAny<Exception>(() => QuickStart.AssertPrints(expected, printed + "\none more line"));
    }

    static async Task<JsonNode> ZReportAsync(RealServer server, int registerId)
    {
        var http = server.From("127.0.0.1");
        using var login = await http.PostAsync("/api/v1/auth/login", Json.Body(new { username = "admin", password = FiscusFactory.AdminPassword }));
        var token = (await login.ExpectAsync(HttpStatusCode.OK))["access_token"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/reports/daily?cash_register_id={registerId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return await response.ExpectAsync(HttpStatusCode.OK);
    }
}

/// <summary>The README's quick start: its script (the sh blocks joined) and the lines it says the script prints (<c>#&gt;</c>).</summary>
sealed record QuickStart(string Script, IReadOnlyList<string> Expected)
{
    const string Heading = "## Quick start (five minutes)";

    public static QuickStart FromReadme()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Fiscus.slnx")))
        {
            directory = directory.Parent;
        }
        Assert.True(directory is not null, $"no Fiscus.slnx above {AppContext.BaseDirectory}: the README is not where the test expects it");
        var lines = File.ReadAllLines(Path.Combine(directory.FullName, "README.md"));
        var start = Array.IndexOf(lines, Heading);
        Assert.True(start >= 0, $"README.md has no \"{Heading}\" section");
        var end = Array.FindIndex(lines, start + 1, line => line.StartsWith("## ", StringComparison.Ordinal));
        var section = lines[(start + 1)..(end < 0 ? lines.Length : end)];

        var script = new List<string>();
        var inBlock = false;
        foreach (var line in section)
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inBlock = !inBlock && line == "```sh";
                continue;
            }
            if (inBlock)
            {
                script.Add(line);
            }
        }
        Assert.True(script.Count > 0, "the quick start has no ```sh block");
        var expected = script.Select(line => Regex.Match(line, "^\\s*#>(?: (.*))?$")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.True(expected.Count > 0, "the quick start shows nothing it prints (#> lines)");
        return new QuickStart(string.Join("\n", script) + "\n", expected);
    }

    /// <summary>Runs the script with bash as the README's reader would, pointed at <paramref name="fiscus"/> and the test's admin.</summary>
    public static async Task<Run> RunAsync(string script, Uri fiscus)
    {
        var file = Path.Combine(Path.GetTempPath(), $"fiscus-quickstart-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var tools = await BashAsync(["-c", "command -v curl && command -v jq"], fiscus);
            Assert.True(tools.ExitCode == 0, "the README's quick start needs curl and jq (./test installs them; or: sudo apt-get install curl jq)");
            return await BashAsync(["-euo", "pipefail", file], fiscus);
        }
        finally
        {
            File.Delete(file);
        }
    }

    static async Task<Run> BashAsync(string[] arguments, Uri fiscus)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["FISCUS"] = fiscus.GetLeftPart(UriPartial.Authority);
        start.Environment["ADMIN_PASSWORD"] = FiscusFactory.AdminPassword;
        using var process = Process.Start(start)!;
        process.StandardInput.Close(); // nothing to read: the password is given, so the script never prompts
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the quick start ran for 2 minutes\n{new Run(-1, await stdout, await stderr)}");
        }
        return new Run(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// The script printed exactly the README's lines: <c>…</c> stands for anything (a generated id or hash), and an amount is
    /// compared as a number (jq 1.6 writes the API's 3.10 as 3.1; jq 1.7 keeps 3.10); CSV's CRLF is a line end.
    /// </summary>
    public static void AssertPrints(IReadOnlyList<string> expected, string stdout)
    {
        var printed = stdout.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        var first = Enumerable.Range(0, Math.Max(expected.Count, printed.Length))
            .FirstOrDefault(i => i >= expected.Count || i >= printed.Length || !Matches(expected[i], printed[i]), -1);
        if (first >= 0)
        {
            Assert.Fail($"the quick start's output line {first + 1} is {(first < printed.Length ? printed[first] : "missing")}, the README " +
                $"shows {(first < expected.Count ? expected[first] : "nothing more")}\n\nprinted:\n{string.Join("\n", printed)}\n\n" +
                $"the README's #> lines:\n{string.Join("\n", expected)}");
        }
    }

    static bool Matches(string expected, string printed) =>
        Regex.IsMatch(Amounts(printed), "^" + string.Join(".*", Amounts(expected).Split('…').Select(Regex.Escape)) + "$");

    static string Amounts(string line) => Regex.Replace(line, "\\d+\\.\\d+", m => m.Value.TrimEnd('0').TrimEnd('.'));

    public sealed record Run(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit status {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }
}
