using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Fiscus.Server.Cli;

/// <summary>
/// PostgreSQL's own client programs (pg_dump, pg_restore) for <c>fiscus backup</c> and <c>fiscus restore</c>: found where
/// Debian installs them, /usr/lib/postgresql/VERSION/bin (as scripts/postgres.sh finds initdb), the server's own major
/// version first, else the newest installed (pg_dump reads older servers, never newer ones), else whatever PATH has.
/// They get the connection through libpq's environment variables, so a password never shows in a process list.
/// </summary>
public static class PostgresTools
{
    const string DebianRoot = "/usr/lib/postgresql";

    /// <summary>The program to run for <paramref name="tool"/> against a server of major version <paramref name="serverMajor"/>.</summary>
    public static string Find(string tool, int serverMajor)
    {
        var installed = Directory.Exists(DebianRoot)
            ? Directory.EnumerateDirectories(DebianRoot)
                .Select(dir => (Version: int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1,
                    Path: Path.Combine(dir, "bin", tool)))
                .Where(c => c.Version > 0 && File.Exists(c.Path))
                .OrderByDescending(c => c.Version == serverMajor).ThenByDescending(c => c.Version)
                .Select(c => c.Path)
            : [];
        return installed.FirstOrDefault() ?? tool;
    }

    /// <summary>
    /// libpq's environment for an Npgsql connection string: hosts and ports (a multi-host list, Npgsql's <c>host:port</c>
    /// entries split into PGHOST and PGPORT), user, password, database, TLS mode, target session and connect timeout.
    /// </summary>
    public static Dictionary<string, string> Environment(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var hosts = new List<string>();
        var ports = new List<string>();
        foreach (var entry in (builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (host, port) = SplitPort(entry);
            hosts.Add(host);
            ports.Add((port ?? builder.Port).ToString(CultureInfo.InvariantCulture));
        }
        var environment = new Dictionary<string, string>
        {
            ["PGHOST"] = string.Join(',', hosts),
            ["PGPORT"] = string.Join(',', ports),
            ["PGAPPNAME"] = "fiscus",
            ["PGSSLMODE"] = builder.SslMode switch
            {
                SslMode.Disable => "disable",
                SslMode.Allow => "allow",
                SslMode.Require => "require",
                SslMode.VerifyCA => "verify-ca",
                SslMode.VerifyFull => "verify-full",
                _ => "prefer",
            },
            ["PGCONNECT_TIMEOUT"] = Math.Max(2, builder.Timeout).ToString(CultureInfo.InvariantCulture),
        };
        if (builder.Username is { Length: > 0 } user)
        {
            environment["PGUSER"] = user;
        }
        if (builder.Password is { Length: > 0 } password)
        {
            environment["PGPASSWORD"] = password;
        }
        if (builder.Passfile is { Length: > 0 } passfile)
        {
            environment["PGPASSFILE"] = passfile;
        }
        if (builder.Database is { Length: > 0 } database)
        {
            environment["PGDATABASE"] = database;
        }
        // libpq knows all of Npgsql's but prefer-primary (PostgreSQL 14's names); "any" is both defaults.
        if (builder.TargetSessionAttributes is { Length: > 0 } target && target != "prefer-primary")
        {
            environment["PGTARGETSESSIONATTRS"] = target;
        }
        return environment;
    }

    /// <summary>Npgsql's <c>host:port</c> (or <c>[v6]:port</c>); a socket directory, a bare IPv6 address or a bare host has no port.</summary>
    static (string Host, int? Port) SplitPort(string entry)
    {
        if (entry.StartsWith('/'))
        {
            return (entry, null);
        }
        var close = entry.StartsWith('[') ? entry.IndexOf(']', StringComparison.Ordinal) : -1;
        var colon = entry.LastIndexOf(':');
        var portColon = close >= 0 ? (colon == close + 1 ? colon : -1) : (entry.IndexOf(':') == colon ? colon : -1);
        var port = portColon > 0 && int.TryParse(entry[(portColon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : (int?)null;
        var host = port is null ? entry : entry[..portColon];
        return (host.Trim('[', ']'), port);
    }

    /// <summary>What a run of a tool said: its exit code and standard error (its standard output too, when asked for).</summary>
    public sealed record Run(int ExitCode, string Output, string Error)
    {
        /// <summary>The tool's first error line, without its own "pg_dump: error: " prefix: what one line of ours should say.</summary>
        public string FirstError
        {
            get
            {
                var lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var line = lines.FirstOrDefault(l => l.Contains("error:", StringComparison.Ordinal)) ?? lines.FirstOrDefault() ?? $"exit code {ExitCode}";
                var marker = line.IndexOf("error:", StringComparison.Ordinal);
                return marker >= 0 ? line[(marker + "error:".Length)..].Trim() : line;
            }
        }
    }

    /// <summary>Runs <paramref name="program"/> with <paramref name="environment"/> on top of ours; null when it cannot be started (not installed).</summary>
    public static async Task<Run?> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            return null;
        }
        using (process)
        {
            // No prompt can wait for an answer that never comes (-w is passed as well).
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            return new Run(process.ExitCode, await output, await error);
        }
    }
}
