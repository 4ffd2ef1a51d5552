using System.Diagnostics;
using System.Net.Sockets;
using Fiscus.Server.Cli;
using Fiscus.Testing;

namespace Fiscus.Server.Tests;

/// <summary>
/// The executable itself, run as a process (<c>dotnet fiscus.dll ...</c>, as ./run does): what its arguments ask for,
/// usage instead of a server for --help or an unknown verb, and one line when the address is taken.
/// </summary>
public sealed partial class CliTests
{
    /// <summary>Runs fiscus.dll (built beside the tests) with the test database, and kills it if it is still running after a while.</summary>
    Task<(int Code, string Output, string Error, bool Exited)> ProcessAsync(params string[] args) => ProcessAsync(null, args);

    /// <param name="environment">Settings on top of the test database's (a null value removes one).</param>
    async Task<(int Code, string Output, string Error, bool Exited)> ProcessAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fiscus.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["FISCUS_MIGRATION_DATABASE"] = TestDatabases.ConnectionStringFor(database);
        start.Environment["FISCUS_DATABASE"] = TestDatabases.RuntimeConnectionStringFor(database);
        start.Environment["FISCUS_TIME_ZONE"] = "UTC";
        start.Environment.Remove("FISCUS_URLS");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exited = true;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            exited = false; // it started serving: exactly what must not happen
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        return (exited ? process.ExitCode : -1, await output, await error, exited);
    }

    public static TheoryData<string[], FiscusCli.Invocation> Invocations => new()
    {
        { [], FiscusCli.Invocation.Serve },
        { ["--urls", "http://127.0.0.1:5999"], FiscusCli.Invocation.Serve },
        { ["--FISCUS_URLS=http://127.0.0.1:5999"], FiscusCli.Invocation.Serve },
        { ["user", "list"], FiscusCli.Invocation.Command },
        { ["migrate"], FiscusCli.Invocation.Command },
        { ["--help"], FiscusCli.Invocation.Help },
        { ["-h"], FiscusCli.Invocation.Help },
        { ["help"], FiscusCli.Invocation.Help },
        { ["help", "user"], FiscusCli.Invocation.Help },
        { ["usr", "list"], FiscusCli.Invocation.UnknownVerb },
        { ["serve"], FiscusCli.Invocation.UnknownVerb },
        { ["User"], FiscusCli.Invocation.UnknownVerb },
    };

    [Theory]
    [MemberData(nameof(Invocations))]
    public void Arguments_are_a_server_option_a_verb_a_request_for_help_or_an_unknown_verb(string[] args, FiscusCli.Invocation expected) =>
        Assert.Equal(expected, FiscusCli.Classify(args));

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_prints_every_verb_with_its_options_and_starts_no_server(string help)
    {
        var (code, output, error, exited) = await ProcessAsync(help);

        Assert.True(exited, "fiscus " + help + " started a server");
        // Asked for, so not a failure: exit 0, as GNU's --help and System.CommandLine's own `fiscus user --help`.
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.StartsWith("Usage:\n  fiscus [--urls URLS]", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        foreach (var line in new[]
        {
            "fiscus migrate [--dry-run]\n", "fiscus backup [--to FILE]\n", "fiscus restore --from FILE [--force]\n", "fiscus user add --username USERNAME [--password PASSWORD] --role ROLE [--library LIBRARY]\n", "fiscus user list\n",
            "fiscus client add --name NAME --scopes SCOPES [--register REGISTER] [--library LIBRARY]\n", "fiscus sip-login add --login LOGIN",
            "fiscus patron pin --cardnumber CARDNUMBER [--pin PIN] [--clear]\n", "fiscus verify [--against HASH]\n", "fiscus seal now\n",
            "fiscus audit --since SINCE",
        })
        {
            Assert.Contains(line, output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("usr", "fiscus: 'usr' is not a command. Did you mean 'user'?")]
    [InlineData("serve", "fiscus: 'serve' is not a command.")]
    [InlineData("clients", "fiscus: 'clients' is not a command. Did you mean 'client'?")]
    public async Task An_unknown_verb_prints_usage_and_fails_without_starting_a_server(string verb, string firstLine)
    {
        var (code, output, error, exited) = await ProcessAsync(verb, "list");

        Assert.True(exited, $"fiscus {verb} started a server");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = error.ReplaceLineEndings("\n").Split('\n');
        Assert.Equal(firstLine, lines[0]);
        Assert.Equal("Usage:", lines[1]);
        Assert.Contains("  fiscus user list", lines);
    }

    [Fact]
    public async Task Help_with_a_verb_is_that_verbs_own_help()
    {
        var (code, output, _, exited) = await ProcessAsync("help", "client");

        Assert.True(exited);
        Assert.Equal(0, code);
        Assert.Contains("rotate-secret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_taken_address_is_one_line_naming_it_and_the_setting_with_no_stack_trace()
    {
        using var other = new TcpListener(System.Net.IPAddress.Loopback, 0);
        other.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)other.LocalEndpoint).Port}";

        var (code, output, error, exited) = await ProcessAsync("--urls", url);

        Assert.True(exited, "the server started on a taken address");
        Assert.Equal(2, code);
        Assert.Equal(
            $"fiscus: cannot serve at {url}: the address is already in use (is Fiscus already running?). " +
            "Choose another with FISCUS_URLS or --urls, e.g. FISCUS_URLS=http://127.0.0.1:5081\n",
            error.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        // Nothing was started: not even the migrations ran.
        await using var connection = new Npgsql.NpgsqlConnection(TestDatabases.ConnectionStringFor(database));
        await connection.OpenAsync();
        await using var tables = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", connection);
        Assert.Equal(0L, await tables.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("Failed to bind to address http://127.0.0.1:5080: address already in use.", "http://127.0.0.1:5080")]
    [InlineData("Failed to bind to address http://[::1]:5080: address already in use.", "http://[::1]:5080")]
    [InlineData("Failed to bind to address http://127.0.0.1:5080: permission denied.", null)]
    public void Kestrels_own_bind_failure_names_the_address(string message, string? address) =>
        Assert.Equal(address, ListenAddresses.FromBindFailure(new IOException(message, new SocketException())));

    [Theory]
    [InlineData("FISCUS_DATABASE", "Host=db;Port=5601,5602", "Couldn't set port")]
    [InlineData("FISCUS_DATABASE", "Host=db;Target Session Attributes=read-write", "Target Session Attributes")]
    [InlineData("FISCUS_DATABASE", "Hots=db", "hots")]
    [InlineData("FISCUS_MIGRATION_DATABASE", "Host=a,b;Port=x", "Couldn't set port")]
    [InlineData("FISCUS_READ_DATABASE", "Host=replica;Target Session Attributes=prefer-standby", "Target Session Attributes")]
    [InlineData("FISCUS_CURRENCY", "XYZ", "not an ISO 4217 currency code")]
    [InlineData("FISCUS_TIME_ZONE", "Nowhere/Special", "IANA")]
    [InlineData("FISCUS_BASIC_AUTH", "perhaps", "true or false")]
    [InlineData("FISCUS_SESSION_SECONDS", "-5", "whole number")]
    [InlineData("FISCUS_TRUSTED_PROXIES", "10.0.0.0/33", "10.0.0.0/33")]
    [InlineData("FISCUS_TRUSTED_PROXIES", "10.0.0.5, proxy.internal", "proxy.internal")]
    [InlineData("FISCUS_ADMIN_PASSWORD", "aaaaaaaa", "")]
    [InlineData("FISCUS_ADMIN_PASSWORD", "Password2024!", "")]
    public async Task A_bad_setting_stops_the_start_with_one_line_naming_it(string setting, string value, string reason)
    {
        var (code, output, error, exited) = await ProcessAsync(new Dictionary<string, string?> { [setting] = value }, "--urls", "http://127.0.0.1:0");

        Assert.True(exited, "the server started with " + setting + "=" + value);
        Assert.Equal(2, code);
        var line = Assert.Single(error.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'));
        Assert.StartsWith("fiscus: ", line, StringComparison.Ordinal);
        Assert.Contains(setting, line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_stops_the_start_with_one_line()
    {
        var nowhere = new Npgsql.NpgsqlConnectionStringBuilder(TestDatabases.RuntimeConnectionStringFor(database))
        {
            Host = "127.0.0.1", Port = 1, Timeout = 3,
        }.ConnectionString;

        var (code, output, error, exited) = await ProcessAsync(
            new Dictionary<string, string?> { ["FISCUS_DATABASE"] = nowhere, ["FISCUS_MIGRATION_DATABASE"] = nowhere }, "--urls", "http://127.0.0.1:0");

        Assert.True(exited, "the server started without a database");
        Assert.Equal(2, code);
        var line = Assert.Single(error.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'));
        Assert.StartsWith("fiscus: cannot use the database (FISCUS_DATABASE / FISCUS_MIGRATION_DATABASE): ", line, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:1", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }
}
