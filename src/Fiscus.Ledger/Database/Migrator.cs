using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fiscus.Ledger.Database;

/// <summary>
/// Applies the embedded SQL migrations. Runs under a PostgreSQL session advisory lock so that several
/// Fiscus instances starting at once apply each migration exactly once; each migration commits in its own
/// transaction together with its row in <c>schema_migrations</c>.
/// </summary>
/// <remarks>
/// No migration library restores from our package source (DbUp, Evolve and FluentMigrator are missing),
/// and the job is small: ordered files, a checksum, a lock.
/// </remarks>
public sealed class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    /// <summary>Advisory lock key shared by every Fiscus instance ("FISCUS" in ASCII, then 1).</summary>
    public const long MigrationLockKey = 0x464953435553_0001;

    /// <param name="upToVersion">Stop after this version (tests of upgrades with data in between); all by default.</param>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken cancellationToken, int? upToVersion = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);
            var applied = await ReadAppliedAsync(connection, cancellationToken);
            CheckHistory(applied);

            var newlyApplied = new List<Migration>();
            foreach (var migration in Migration.All.Where(m => !applied.ContainsKey(m.Version) && m.Version <= (upToVersion ?? int.MaxValue)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(migration.Sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                }
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (@version, @name, @checksum)",
                    connection, transaction))
                {
                    record.Parameters.AddWithValue("version", migration.Version);
                    record.Parameters.AddWithValue("name", migration.Name);
                    record.Parameters.AddWithValue("checksum", migration.Checksum);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Version} {Name}", migration.Version, migration.Name);
                newlyApplied.Add(migration);
            }
            return newlyApplied;
        }
        finally
        {
            // Released with the session anyway; unlocking keeps a pooled connection clean.
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
        }
    }

    /// <summary>
    /// The migrations <see cref="MigrateAsync"/> would apply, in order, changing nothing (not even creating
    /// <c>schema_migrations</c>); a history this build cannot continue throws as <see cref="MigrateAsync"/> would.
    /// </summary>
    public async Task<IReadOnlyList<Migration>> PendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection);
        var applied = (bool)(await exists.ExecuteScalarAsync(cancellationToken))!
            ? await ReadAppliedAsync(connection, cancellationToken)
            : [];
        CheckHistory(applied);
        return [.. Migration.All.Where(m => !applied.ContainsKey(m.Version))];
    }

    static void CheckHistory(Dictionary<int, string> applied)
    {
        var known = Migration.All.ToDictionary(m => m.Version);
        foreach (var (version, checksum) in applied.OrderBy(a => a.Key))
        {
            if (!known.TryGetValue(version, out var migration))
            {
                throw new MigrationException(
                    $"The database has migration {version}, which this build of Fiscus does not know. " +
                    "It was migrated by a newer Fiscus; run that version (or newer) instead.");
            }
            if (!string.Equals(migration.Checksum, checksum, StringComparison.Ordinal))
            {
                throw new MigrationException(
                    $"Migration {version} ({migration.Name}) was changed after it was applied to this database. " +
                    "Applied migrations are immutable: add a new migration instead.");
            }
        }
    }

    static async Task<Dictionary<int, string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }
        return applied;
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

public sealed class MigrationException(string message) : Exception(message);
