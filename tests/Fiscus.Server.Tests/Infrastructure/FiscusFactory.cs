using Fiscus.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>
/// The real Fiscus pipeline in process, on a database of the test's own, working as the runtime role; <paramref name="services"/>
/// may replace a service (e.g. a smaller <c>SignInCapacity</c>) after Fiscus has registered its own.
/// </summary>
public sealed class FiscusFactory(
    string database, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public const string AdminPassword = "quiet-ledger-test-4182";

    public TestClock Clock { get; } = new();

    public string Database { get; } = database;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Two roles, as ./run sets up: the superuser owns and migrates the schema, the server works as a role that
        // owns nothing, so every test also proves the runtime role's privileges are enough (and no more is needed).
        builder.UseSetting("FISCUS_MIGRATION_DATABASE", TestDatabases.ConnectionStringFor(Database));
        builder.UseSetting("FISCUS_DATABASE", TestDatabases.RuntimeConnectionStringFor(Database));
        builder.UseSetting("FISCUS_ADMIN_PASSWORD", AdminPassword);
        builder.UseSetting("FISCUS_TIME_ZONE", "UTC");
        // Tests sign in hundreds of times from one address; the limit itself has its own test.
        builder.UseSetting("FISCUS_LOGIN_ATTEMPTS_PER_MINUTE", "100000");
        // Tests seal when they mean to (FiscusFixture seals before its final verification), so a test that edits rows as
        // a superuser and puts them back is not caught half-way by a background seal; the sealer's own test turns it on.
        builder.UseSetting("FISCUS_SEAL_INTERVAL_SECONDS", "0");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureServices(registered =>
        {
            registered.AddSingleton<TimeProvider>(Clock);
            services?.Invoke(registered);
        });
    }
}
