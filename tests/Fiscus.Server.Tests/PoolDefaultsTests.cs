using Dapper;
using Fiscus.Server.Startup;
using Fiscus.Server.Tests.Infrastructure;
using Fiscus.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// The runtime pool keeps its connections' prepared statements and cached plans (issue 15): automatic preparation on
/// (an operator's connection string that names it wins), Npgsql's reset kept, so no session state crosses from one use to
/// the next; a schema change under a live pool costs no request.
/// </summary>
public sealed class PoolDefaultsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Theory]
    [InlineData("Host=db;Database=fiscus", false, PoolDefaults.MaxAutoPrepare, PoolDefaults.HostRecheckSeconds)]
    [InlineData("Host=db;No Reset On Close=true", true, PoolDefaults.MaxAutoPrepare, PoolDefaults.HostRecheckSeconds)]
    [InlineData("Host=db;NoResetOnClose=false;Max Auto Prepare=0", false, 0, PoolDefaults.HostRecheckSeconds)]
    [InlineData("Host=db;max auto prepare=7", false, 7, PoolDefaults.HostRecheckSeconds)]
    [InlineData("Host=db;MAXAUTOPREPARE=3;no reset on close=true", true, 3, PoolDefaults.HostRecheckSeconds)]
    [InlineData("Host=a:5601,b:5602;Target Session Attributes=read-write", false, PoolDefaults.MaxAutoPrepare, PoolDefaults.HostRecheckSeconds)]
    [InlineData("Host=a,b;Host Recheck Seconds=30", false, PoolDefaults.MaxAutoPrepare, 30)]
    [InlineData("Host=a,b;hostrecheckseconds=0", false, PoolDefaults.MaxAutoPrepare, 0)]
    public void Defaults_apply_unless_the_connection_string_names_them(string connectionString, bool noReset, int maxAutoPrepare, int hostRecheck)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        PoolDefaults.Apply(connectionString, settings);
        Assert.Equal((noReset, maxAutoPrepare, hostRecheck), (settings.NoResetOnClose, settings.MaxAutoPrepare, settings.HostRecheckSeconds));
    }

    [Fact]
    public void Without_FISCUS_READ_DATABASE_the_reports_read_the_runtime_pool()
    {
        var read = fiscus.Factory.Services.GetRequiredService<ReadDatabase>();
        Assert.False(read.IsSeparate);
        Assert.Same(fiscus.Factory.Services.GetRequiredService<NpgsqlDataSource>(), read.DataSource);
    }

    [Fact]
    public async Task The_server_pool_ends_a_transaction_left_idle()
    {
        // Given at start as the runtime role's default in this database (IdleTransactions): every pooled session has it.
        var pool = fiscus.Factory.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await pool.OpenConnectionAsync();
        await using var show = new NpgsqlCommand("SHOW idle_in_transaction_session_timeout", connection);
        Assert.Equal(IdleTransactions.Timeout, await show.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_server_pool_keeps_prepared_statements_across_uses()
    {
        var pool = fiscus.Factory.Services.GetRequiredService<NpgsqlDataSource>();
        var settings = new NpgsqlConnectionStringBuilder(pool.ConnectionString);
        Assert.False(settings.NoResetOnClose);
        Assert.Equal(PoolDefaults.MaxAutoPrepare, settings.MaxAutoPrepare);

        // The same statement used often enough on one pooled connection is prepared, and stays prepared after the
        // connection went back to the pool (Npgsql's reset keeps prepared statements; DISCARD ALL would have dropped them).
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

    /// <summary>
    /// What a pooled connection must not carry from one use to the next — session settings and advisory locks — whatever
    /// the operator set; its prepared statements it keeps.
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("No Reset On Close=false")]
    public async Task A_pooled_connection_starts_clean_and_keeps_its_prepared_statements(string operatorSetting)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(TestDatabases.RuntimeConnectionStringFor(fiscus.Factory.Database) + ";" + operatorSetting)
        {
            MaxPoolSize = 1,
        }.ConnectionString;
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        PoolDefaults.Apply(connectionString, builder.ConnectionStringBuilder);
        await using var pool = builder.Build();

        await using (var first = await pool.OpenConnectionAsync())
        {
            for (var i = 0; i < 10; i++)
            {
                await first.ExecuteScalarAsync<long>("SELECT count(*) FROM account_lines WHERE patron_id = @i", new { i = (long)i });
            }
            await first.ExecuteAsync("SELECT set_config('search_path', 'pg_catalog', false), set_config('statement_timeout', '1234', false)");
            await first.ExecuteAsync("SELECT pg_advisory_lock(15)");
        }
        await using var second = await pool.OpenConnectionAsync();
        var searchPath = await second.ExecuteScalarAsync<string>("SHOW search_path");
        var timeout = await second.ExecuteScalarAsync<string>("SHOW statement_timeout");
        var locks = await second.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
        var prepared = await second.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_prepared_statements");
        Assert.Equal(("\"$user\", public", "0", 0L), (searchPath, timeout, locks));
        Assert.True(prepared > 0, "the auto-prepared statement survives the reset");
    }

    /// <summary>
    /// A migration of another instance (a rolling upgrade) changes a column's type while this one's pool holds statements
    /// prepared against the old one: PostgreSQL refuses them once ("cached plan must not change result type"), and the
    /// command runs again instead of answering 500.
    /// </summary>
    [Fact]
    public async Task A_column_type_changed_under_a_live_pool_fails_no_payment()
    {
        var patron = await fiscus.PatronAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"]);
        async Task<HttpStatusCode> PayAsync()
        {
            using var response = await kiosk.Http.PostAsync($"/api/v1/patrons/{patron}/account/payments",
                Json.Body(new { debit_type = "PRINT", amount = 0.10m, payment_type = "CASH", register_id = 1 }));
            return response.StatusCode;
        }
        // One after another: the pool hands back the same few connections, where the statements get prepared.
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(HttpStatusCode.Created, await PayAsync());
        }
        await fiscus.ScalarAsync<int>("ALTER TABLE debit_types ALTER COLUMN description TYPE varchar(2000); SELECT 1");
        var after = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            after.Add(await PayAsync());
        }
        Assert.All(after, status => Assert.Equal(HttpStatusCode.Created, status));
    }
}
