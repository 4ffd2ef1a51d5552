using Fiscus.Server.Startup;
using Fiscus.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// The runtime pool keeps its connections' prepared statements and cached plans (issue 15): no DISCARD ALL on return,
/// automatic preparation on; an operator's connection string that names either setting wins.
/// </summary>
public sealed class PoolDefaultsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Theory]
    [InlineData("Host=db;Database=fiscus", true, PoolDefaults.MaxAutoPrepare)]
    [InlineData("Host=db;No Reset On Close=false", false, PoolDefaults.MaxAutoPrepare)]
    [InlineData("Host=db;NoResetOnClose=false;Max Auto Prepare=0", false, 0)]
    [InlineData("Host=db;max auto prepare=7", true, 7)]
    [InlineData("Host=db;MAXAUTOPREPARE=3;no reset on close=true", true, 3)]
    public void Defaults_apply_unless_the_connection_string_names_them(string connectionString, bool noReset, int maxAutoPrepare)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        PoolDefaults.Apply(connectionString, settings);
        Assert.Equal((noReset, maxAutoPrepare), (settings.NoResetOnClose, settings.MaxAutoPrepare));
    }

    [Fact]
    public async Task The_server_pool_keeps_prepared_statements_across_uses()
    {
        var pool = fiscus.Factory.Services.GetRequiredService<NpgsqlDataSource>();
        var settings = new NpgsqlConnectionStringBuilder(pool.ConnectionString);
        Assert.True(settings.NoResetOnClose);
        Assert.Equal(PoolDefaults.MaxAutoPrepare, settings.MaxAutoPrepare);

        // The same statement used often enough on one pooled connection is prepared, and stays prepared after the
        // connection went back to the pool (DISCARD ALL would have dropped it).
        const string probe = "SELECT count(*) FROM patrons WHERE patron_id > $1";
        int backend;
        await using (var connection = await pool.OpenConnectionAsync())
        {
            for (var i = 0; i < 8; i++)
            {
                await using var command = new NpgsqlCommand(probe, connection) { Parameters = { new() { Value = -1L } } };
                await command.ExecuteScalarAsync();
            }
            backend = connection.ProcessID;
        }
        // Take idle connections until that backend comes back (all held, so none is handed out twice).
        var held = new List<NpgsqlConnection>();
        try
        {
            NpgsqlConnection? again = null;
            for (var i = 0; i < 50 && again is null; i++)
            {
                var next = await pool.OpenConnectionAsync();
                held.Add(next);
                again = next.ProcessID == backend ? next : null;
            }
            Assert.NotNull(again);
            await using var prepared = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", again)
            {
                Parameters = { new() { Value = probe } },
            };
            Assert.Equal(1L, await prepared.ExecuteScalarAsync());
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
