using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.ReferenceData;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Users;
using Npgsql;

namespace Fiscus.Server.Startup;

/// <summary>What the first start did, for the banner to tell the operator once.</summary>
public sealed class StartupReport
{
    public bool FirstStart { get; set; }

    /// <summary>The admin's password when this start created the admin; null otherwise.</summary>
    public string? CreatedAdminPassword { get; set; }

    public bool AdminPasswordFromConfiguration { get; set; }

    /// <summary>Why FISCUS_DATABASE's role could alter the ledger and what to do about it; null when it cannot.</summary>
    public string? RuntimeRoleWarning { get; set; }
}

/// <summary>What <see cref="DatabaseStartup.PrepareAsync"/> did and found.</summary>
/// <param name="Created">This call created the installation (a first start).</param>
/// <param name="RuntimeRoleWarning">Why FISCUS_DATABASE's role could alter the ledger; null when it cannot.</param>
/// <param name="IdleTimeoutWarning">Why the runtime role has no idle_in_transaction_session_timeout (<see cref="IdleTransactions"/>); null when it has.</param>
public sealed record DatabasePreparation(bool Created, string? RuntimeRoleWarning, string? IdleTimeoutWarning = null);

/// <summary>
/// Brings the database to this build's schema and, on a first start, records the currency, seeds the
/// reference data and creates the admin; then gives the runtime role its privileges and checks that it cannot
/// alter the ledger. Runs before the server accepts requests; every step is safe when several instances start
/// together (advisory locks) and a no-op when already done.
/// </summary>
/// <remarks>
/// Everything here that writes runs as the schema owner (<see cref="SchemaOwner"/>): it is the start-up's work,
/// not a request's, and the first start writes rows (the installation) that the runtime role may only read.
/// </remarks>
public sealed class DatabaseStartup(
    NpgsqlDataSource db, SchemaOwner owner, Migrator migrator, Passwords passwords, FiscusOptions options, TimeProvider time,
    StartupReport report, ILogger<DatabaseStartup> logger)
    : IHostedService
{
    readonly SemaphoreSlim once = new(1, 1);
    bool done;

    /// <summary>Prepares the database once, whether Program asks first or the host does.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await once.WaitAsync(cancellationToken);
        try
        {
            if (!done)
            {
                await PrepareOnceAsync(cancellationToken);
                done = true;
            }
        }
        finally
        {
            once.Release();
        }
    }

    async Task PrepareOnceAsync(CancellationToken cancellationToken)
    {
        var prepared = await PrepareAsync(owner, db, migrator, options, time, cancellationToken);
        await Transactions.RunAsync(owner.DataSource, async (connection, transaction) =>
        {
            var password = await StaffUsers.EnsureFirstAdminAsync(
                connection, transaction, passwords, options.AdminPassword, time.GetUtcNow(), cancellationToken);
            report.CreatedAdminPassword = password;
            report.AdminPasswordFromConfiguration = password is not null && options.AdminPassword is not null;
        }, cancellationToken);
        report.FirstStart = report.FirstStart || report.CreatedAdminPassword is not null;
        report.RuntimeRoleWarning = prepared.RuntimeRoleWarning;
        if (prepared.RuntimeRoleWarning is { } warning)
        {
            logger.LogWarning("{RuntimeRoleWarning}", warning);
        }
        if (prepared.IdleTimeoutWarning is { } idle)
        {
            logger.LogWarning("{IdleTimeoutWarning}", idle);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Migrations, first-start seeding and the runtime role's privileges, shared with the command line.</summary>
    public static async Task<DatabasePreparation> PrepareAsync(
        SchemaOwner owner, NpgsqlDataSource runtime, Migrator migrator, FiscusOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!TimeZones.IsIana(options.DefaultTimeZone))
        {
            throw new ConfigurationException($"FISCUS_TIME_ZONE '{options.DefaultTimeZone}' is not an IANA time zone such as Europe/London.");
        }
        await migrator.MigrateAsync(cancellationToken);
        var created = await Transactions.RunAsync(owner.DataSource, (connection, transaction) => Ledger.ReferenceData.Installation.EnsureAsync(
            connection, transaction, options.Currency, options.DefaultTimeZone, time.GetUtcNow(), cancellationToken), cancellationToken);

        await using var connection = await runtime.OpenConnectionAsync(cancellationToken);
        if (owner.IsSeparateRole)
        {
            // Whoever FISCUS_DATABASE signs in as is the role to grant to: no third setting to keep in step.
            var role = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT current_user", cancellationToken: cancellationToken));
            await RuntimeGrants.ApplyAsync(owner.DataSource, role!, cancellationToken);
        }
        var check = await RuntimeRoleCheck.CheckAsync(connection, cancellationToken);
        var idle = await IdleTransactions.EnsureAsync(connection, cancellationToken);
        // Connections opened before the role had its default do not have it: they are closed, later ones get it.
        runtime.Clear();
        return new DatabasePreparation(created, check.CanAlterLedger ? RuntimeRoleWarning(check) : null, idle);
    }

    /// <summary>Says which role, why it matters and what to do, in one paragraph for the log and the banner.</summary>
    public static string RuntimeRoleWarning(RuntimeRoleReport check) =>
        $"FISCUS_DATABASE signs in as '{check.Role}', which can alter the ledger and the audit log behind Fiscus's guards: " +
        $"{string.Join("; ", check.Problems)}. Serve requests as a role that owns nothing: set FISCUS_MIGRATION_DATABASE to the " +
        "schema owner's connection and FISCUS_DATABASE to that role's, and Fiscus grants it only what it needs " +
        "(README, \"Database roles\").";
}
