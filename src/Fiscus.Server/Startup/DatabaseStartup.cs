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
}

/// <summary>
/// Brings the database to this build's schema and, on a first start, records the currency, seeds the
/// reference data and creates the admin. Runs before the server accepts requests; every step is safe when
/// several instances start together (advisory locks) and a no-op when already done.
/// </summary>
public sealed class DatabaseStartup(
    NpgsqlDataSource db, Migrator migrator, Passwords passwords, FiscusOptions options, TimeProvider time, StartupReport report)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await PrepareAsync(db, migrator, options, time, cancellationToken);
        await Transactions.RunAsync(db, async (connection, transaction) =>
        {
            var password = await StaffUsers.EnsureFirstAdminAsync(
                connection, transaction, passwords, options.AdminPassword, time.GetUtcNow(), cancellationToken);
            report.CreatedAdminPassword = password;
            report.AdminPasswordFromConfiguration = password is not null && options.AdminPassword is not null;
        }, cancellationToken);
        report.FirstStart = report.FirstStart || report.CreatedAdminPassword is not null;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Migrations and first-start seeding, shared with the command line.</summary>
    /// <returns>Whether this call created the installation.</returns>
    public static async Task<bool> PrepareAsync(
        NpgsqlDataSource db, Migrator migrator, FiscusOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!TimeZones.IsIana(options.DefaultTimeZone))
        {
            throw new ConfigurationException($"FISCUS_TIME_ZONE '{options.DefaultTimeZone}' is not an IANA time zone such as Europe/London.");
        }
        await migrator.MigrateAsync(cancellationToken);
        return await Transactions.RunAsync(db, (connection, transaction) => Installation.EnsureAsync(
            connection, transaction, options.Currency, options.DefaultTimeZone, time.GetUtcNow(), cancellationToken), cancellationToken);
    }
}
