using Fiscus.Server.Configuration;
using Npgsql;

namespace Fiscus.Server.Startup;

/// <summary>
/// Connections as the role that owns the schema (FISCUS_MIGRATION_DATABASE), for migrations, first-start seeding
/// and granting the runtime role its privileges. A type of its own rather than a second
/// <see cref="NpgsqlDataSource"/> registration, so that nothing on the request path, which asks for
/// <see cref="NpgsqlDataSource"/>, can be handed the owner by accident.
/// </summary>
public sealed class SchemaOwner : PoolHandle
{
    SchemaOwner(NpgsqlDataSource dataSource, bool separate) : base(dataSource, separate)
    {
    }

    /// <summary>Whether FISCUS_MIGRATION_DATABASE is set; otherwise the runtime's own data source does the owner's work.</summary>
    public bool IsSeparateRole => Separate;

    public static SchemaOwner For(FiscusOptions options, NpgsqlDataSource runtime, ILoggerFactory loggers)
    {
        if (options.MigrationDatabase is not { } connectionString)
        {
            return new SchemaOwner(runtime, separate: false);
        }
        // Used at start-up and by the command line only: no prepared statements to keep, and connections are
        // reset on return as usual (migrations are the one place that may change session settings).
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "fiscus-owner" };
        builder.UseLoggerFactory(loggers);
        return new SchemaOwner(builder.Build(), separate: true);
    }
}
