using Fiscus.Server.Cli;

namespace Fiscus.Server.Tests;

/// <summary>How <c>fiscus backup</c>/<c>restore</c> hand Npgsql's connection string to pg_dump and pg_restore: libpq's environment.</summary>
public sealed class PostgresToolsTests
{
    [Theory]
    [InlineData("Host=/run/fiscus/sock;Port=5480;Username=fiscus;Database=fiscus", "/run/fiscus/sock", "5480")]
    [InlineData("Host=a:5601,b:5602;Username=u;Database=d;Target Session Attributes=read-write", "a,b", "5601,5602")]
    [InlineData("Host=db1,db2:6000;Port=5433;Username=u;Database=d", "db1,db2", "5433,6000")]
    [InlineData("Host=[::1]:5434;Username=u;Database=d", "::1", "5434")]
    [InlineData("Host=::1;Username=u;Database=d", "::1", "5432")]
    public void Hosts_and_ports_become_PGHOST_and_PGPORT(string connectionString, string hosts, string ports)
    {
        var environment = PostgresTools.Environment(connectionString);

        Assert.Equal((hosts, ports), (environment["PGHOST"], environment["PGPORT"]));
    }

    [Fact]
    public void The_password_travels_in_the_environment_with_the_rest()
    {
        var environment = PostgresTools.Environment(
            "Host=db;Username=owner;Password=s3cret;Database=fiscus;SSL Mode=VerifyFull;Target Session Attributes=read-write;Timeout=7");

        Assert.Equal("owner", environment["PGUSER"]);
        Assert.Equal("s3cret", environment["PGPASSWORD"]);
        Assert.Equal("fiscus", environment["PGDATABASE"]);
        Assert.Equal("verify-full", environment["PGSSLMODE"]);
        Assert.Equal("read-write", environment["PGTARGETSESSIONATTRS"]);
        Assert.Equal("7", environment["PGCONNECT_TIMEOUT"]);
        Assert.False(PostgresTools.Environment("Host=db;Username=owner;Database=fiscus").ContainsKey("PGPASSWORD"));
    }
}
