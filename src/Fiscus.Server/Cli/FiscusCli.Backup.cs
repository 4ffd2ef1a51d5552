using System.CommandLine;
using System.Globalization;
using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Sealing;
using Fiscus.Server.Configuration;
using Fiscus.Server.Startup;
using Npgsql;

namespace Fiscus.Server.Cli;

/// <summary>
/// <c>fiscus backup [--to FILE]</c>: the whole database as PostgreSQL's own custom-format dump (pg_dump -Fc), written
/// beside its final name and renamed into place, so a FILE that exists is always a whole backup.
/// <c>fiscus restore --from FILE [--force]</c>: pg_restore into an empty database (or, with --force, over what the dump
/// holds, in one transaction), then this build's migrations and the runtime role's grants, then <c>fiscus verify</c>.
/// Both run as the schema's owner (FISCUS_MIGRATION_DATABASE, else FISCUS_DATABASE).
/// </summary>
public sealed partial class FiscusCli
{
    Command BackupCommand(IServiceProvider services)
    {
        var to = new Option<string?>("--to")
        {
            HelpName = "FILE",
            Description = "Where to write the backup (replaced if it exists); left out, fiscus-backup-DATABASE-UTCTIME.dump in the current directory",
        };
        var command = new Command("backup", "Write the whole database to a file with pg_dump (custom format), for `fiscus restore`.") { to };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var owner = OwnerConnectionString(services);
            var database = new NpgsqlConnectionStringBuilder(owner).Database ?? "postgres";
            var target = Path.GetFullPath(parse.GetValue(to) ??
                $"fiscus-backup-{database}-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.dump");
            if (Directory.Exists(target))
            {
                return BadInput($"--to {target} is a directory: name the file to write");
            }
            var directory = Path.GetDirectoryName(target)!;
            if (!Directory.Exists(directory))
            {
                return BadInput($"cannot write {target}: the directory {directory} does not exist");
            }

            var (serverMajor, schemaVersion) = await DescribeAsync(services, cancellationToken);
            if (schemaVersion == 0)
            {
                // Backing up never changes the database, so it does not migrate it first as the other verbs do.
                return BadInput($"the database {database} holds no Fiscus schema yet (run `fiscus migrate`, or start Fiscus once): nothing to back up");
            }
            var pgDump = PostgresTools.Find("pg_dump", serverMajor);
            // Beside the target, so the rename is atomic (same file system); a dot file, so nobody takes it for a backup.
            var partial = Path.Combine(directory, $".{Path.GetFileName(target)}.{Environment.ProcessId}.partial");
            try
            {
                // Made owner-only before pg_dump writes a byte into it (pg_dump truncates it and keeps its mode): one made by
                // pg_dump would be readable under the umask (0644) while the dump is written. CreateNew: a file (or a link)
                // already there under this name is not written through.
                var ownerOnly = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    ownerOnly.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                using (new FileStream(partial, ownerOnly))
                {
                }
                var run = await PostgresTools.RunAsync(pgDump, ["--format=custom", "--no-password", "--file", partial],
                    PostgresTools.Environment(owner), cancellationToken);
                if (run is null)
                {
                    return BadInput(ToolMissing("pg_dump"));
                }
                if (run.ExitCode != 0)
                {
                    return BadInput($"pg_dump ({pgDump}) failed: {run.FirstError}");
                }
                // It holds password hashes and every patron's account: readable by its owner only, whatever the umask (again,
                // in case the file system did not take the mode at creation).
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
                File.Move(partial, target, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return BadInput($"cannot write {target}: {e.Message}");
            }
            finally
            {
                File.Delete(partial);
            }
            var bytes = new FileInfo(target).Length;
            output.WriteLine($"backed up database {database} (schema version {schemaVersion}) to {target}");
            output.WriteLine($"{Size(bytes)}, PostgreSQL custom format; restore with: fiscus restore --from {target}");
            return 0;
        });
        return command;
    }

    Command RestoreCommand(IServiceProvider services)
    {
        var from = new Option<string>("--from") { Required = true, HelpName = "FILE", Description = "A backup written by `fiscus backup`" };
        var force = new Option<bool>("--force")
        {
            Description = "Restore into a database that already has tables: drop and recreate everything the backup holds (pg_restore --clean --if-exists), in one transaction",
        };
        var command = new Command("restore",
            "Restore a `fiscus backup` file with pg_restore, bring it to this build's schema, then run `fiscus verify`; exits 1 if verify finds a violation.")
        {
            from, force,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var file = Path.GetFullPath(parse.GetValue(from)!);
            if (!File.Exists(file))
            {
                return BadInput($"--from {file}: no such file");
            }
            var owner = OwnerConnectionString(services);
            var environment = PostgresTools.Environment(owner);
            var (serverMajor, _) = await DescribeAsync(services, cancellationToken);
            var pgRestore = PostgresTools.Find("pg_restore", serverMajor);

            // The archive's table of contents: proves it is a dump pg_restore can read, and a Fiscus one.
            var contents = await PostgresTools.RunAsync(pgRestore, ["--list", file], environment, cancellationToken);
            if (contents is null)
            {
                return BadInput(ToolMissing("pg_restore"));
            }
            if (contents.ExitCode != 0)
            {
                return BadInput($"{file} is not a backup pg_restore can read: {contents.FirstError}");
            }
            if (!contents.Output.Split('\n').Any(l => l.Contains(" TABLE ", StringComparison.Ordinal) && l.Contains(" schema_migrations ", StringComparison.Ordinal)))
            {
                return BadInput($"{file} is a PostgreSQL dump but not of a Fiscus database (it has no schema_migrations table)");
            }

            // Its migrations, read before anything changes: a backup this build cannot continue is refused untouched.
            var history = await PostgresTools.RunAsync(pgRestore, ["--data-only", "--table=schema_migrations", "--file=-", file], environment, cancellationToken);
            if (history is not { ExitCode: 0 })
            {
                return BadInput($"{file} cannot be read whole: {history?.FirstError ?? "pg_restore did not run"}");
            }
            var backupVersions = MigrationsIn(history.Output);
            if (backupVersions.Count == 0)
            {
                return BadInput($"{file} is a PostgreSQL dump but not of a Fiscus database (its schema_migrations table is empty)");
            }
            var known = Migration.All.ToDictionary(m => m.Version, m => m.Checksum);
            if (backupVersions.FirstOrDefault(v => !known.TryGetValue(v.Version, out var checksum) || checksum != v.Checksum) is { Version: > 0 } unknown)
            {
                return BadInput($"{file} holds migration {unknown.Version}, which this build of Fiscus does not know (or knows otherwise): " +
                    "it was made by a newer Fiscus; restore it with that version (or newer)");
            }
            var backupVersion = backupVersions.Max(v => v.Version);

            var database = new NpgsqlConnectionStringBuilder(owner).Database ?? "postgres";
            var ownerSource = services.GetRequiredService<SchemaOwner>().DataSource;
            var tables = await CountTablesAsync(ownerSource, cancellationToken);
            var clean = parse.GetValue(force);
            if (tables > 0 && !clean)
            {
                return Fail($"the database {database} is not empty ({tables} tables): restore into an empty database, or add --force to replace what the backup holds");
            }
            var (_, databaseVersion) = await DescribeAsync(services, cancellationToken);
            if (tables > 0 && databaseVersion > backupVersion)
            {
                // --clean drops only what the dump holds: the newer migrations' tables would stay, and migrating the restored
                // history forward would meet them.
                return Fail($"the database {database} is at schema version {databaseVersion}, newer than the backup's {backupVersion}: " +
                    "--force cannot replace it; restore into an empty database (drop and create it, or another one)");
            }

            // --no-owner/--no-privileges: the restoring role owns what it creates, and the runtime role's grants are
            // given below as at every start, whatever the roles were called where the backup was made.
            string[] arguments =
            [
                "--no-password", "--single-transaction", "--no-owner", "--no-privileges",
                .. clean ? new[] { "--clean", "--if-exists" } : [],
                $"--dbname=dbname='{database.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("'", @"\'", StringComparison.Ordinal)}'",
                file,
            ];
            var restored = await PostgresTools.RunAsync(pgRestore, arguments, environment, cancellationToken);
            if (restored is null)
            {
                return BadInput(ToolMissing("pg_restore"));
            }
            if (restored.ExitCode != 0)
            {
                return BadInput($"pg_restore ({pgRestore}) failed, and changed nothing (one transaction): {restored.FirstError}");
            }
            // Connections opened before knew the tables the restore replaced.
            ownerSource.Clear();
            services.GetRequiredService<NpgsqlDataSource>().Clear();
            output.WriteLine($"restored {file} into database {database}{(clean && tables > 0 ? " (replacing what was there)" : "")}");

            var applied = 0;
            try
            {
                var migrator = services.GetRequiredService<Migrator>();
                var pending = await migrator.PendingAsync(cancellationToken);
                applied = pending.Count;
                var prepared = await PrepareAsync(services, cancellationToken);
                if (prepared.RuntimeRoleWarning is { } warning)
                {
                    error.WriteLine($"fiscus: warning: {warning}");
                }
            }
            catch (MigrationException e)
            {
                return BadInput($"the restored database cannot be used by this build: {e.Message}");
            }
            output.WriteLine(applied == 0
                ? "its schema is this build's"
                : $"{applied} migration(s) applied to bring it to this build's schema");
            if (await TransactionIdsBehindAsync(ownerSource, cancellationToken) is { } behind)
            {
                error.WriteLine($"fiscus: warning: {behind}");
            }
            return await VerifyAsync(services, null, cancellationToken);
        });
        return command;
    }

    /// <summary>The rows of schema_migrations in pg_restore's plain-text COPY of that table: version and checksum.</summary>
    static List<(int Version, string Checksum)> MigrationsIn(string copy)
    {
        var rows = new List<(int, string)>();
        var inside = false;
        foreach (var line in copy.Split('\n'))
        {
            if (line.StartsWith("COPY ", StringComparison.Ordinal) && line.Contains("schema_migrations", StringComparison.Ordinal))
            {
                inside = line.Contains("(version, name, checksum", StringComparison.Ordinal);
            }
            else if (line == "\\.")
            {
                inside = false;
            }
            else if (inside && line.Split('\t') is [var version, _, var checksum, ..] &&
                     int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                rows.Add((number, checksum));
            }
        }
        return rows;
    }

    string OwnerConnectionString(IServiceProvider services)
    {
        var options = services.GetRequiredService<FiscusOptions>();
        return options.MigrationDatabase ?? options.Database;
    }

    /// <summary>The server's major version (which pg_dump to prefer) and the schema version it holds (0 for none).</summary>
    static async Task<(int ServerMajor, int SchemaVersion)> DescribeAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var connection = await services.GetRequiredService<SchemaOwner>().DataSource.OpenConnectionAsync(cancellationToken);
        var serverVersion = await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT current_setting('server_version_num')::int",
            cancellationToken: cancellationToken));
        var migrated = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", cancellationToken: cancellationToken));
        var schemaVersion = migrated
            ? await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT max(version) FROM schema_migrations", cancellationToken: cancellationToken)) ?? 0
            : 0;
        return (serverVersion / 10000, schemaVersion);
    }

    static async Task<long> CountTablesAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
            """, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// A dump restored into another cluster: its rows are stamped (and its seals end) at transaction ids this cluster has
    /// not reached, so verify counts them as slipped into sealed blocks and the sealer stops (README, "The seal"). Says
    /// so, with the epoch that puts this cluster's ids above them all.
    /// </summary>
    static async Task<string?> TransactionIdsBehindAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        var stamped = (await connection.QueryAsync<(string Table, string Column)>(new CommandDefinition("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND data_type = 'xid8' AND column_name IN ('seal_xid', 'final_seal_xid')
            ORDER BY 1, 2
            """, cancellationToken: cancellationToken))).ToList();
        var highest = stamped.Count == 0 ? 0m : await connection.ExecuteScalarAsync<decimal?>(new CommandDefinition(
            "SELECT max(x) FROM (" + string.Join(" UNION ALL ",
                stamped.Select(s => $"SELECT max({s.Column}::text::numeric) AS x FROM {s.Table}")) + ") m",
            cancellationToken: cancellationToken)) ?? 0m;
        var last = await LedgerSeal.LatestAsync(connection, null, cancellationToken);
        var needed = Math.Max(highest + 1, last?.XidTo ?? 0);
        var next = await connection.ExecuteScalarAsync<decimal>(new CommandDefinition(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::numeric", cancellationToken: cancellationToken));
        if (next >= needed)
        {
            return null;
        }
        var epoch = decimal.Floor(needed / 4294967296m) + 1;
        return $"the backup's rows were written up to transaction {needed - 1}, and this cluster's transaction ids are only at {next}: " +
            "it was made on another cluster. Until this cluster's ids pass the backup's, verify counts those rows as slipped into sealed blocks " +
            $"and the sealer stops. With this cluster stopped, run pg_resetwal --epoch {epoch} on its data directory, start it, and run `fiscus verify` " +
            "(README, \"The seal\").";
    }

    static string ToolMissing(string tool) =>
        $"{tool} was not found in /usr/lib/postgresql/*/bin or on PATH: install PostgreSQL's client programs (Debian: apt-get install postgresql-client)";

    static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB ({bytes} bytes)"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB ({bytes} bytes)"),
    };

    /// <summary>Fiscus could not do what was asked with what it was given: one line, exit code 2.</summary>
    int BadInput(string message)
    {
        error.WriteLine($"fiscus: {message}");
        return 2;
    }
}
