using Fiscus.Testing;

namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>
/// One database per test process that went through a real first start (migrations, seeding, the admin);
/// each test class clones it, which takes milliseconds instead of a migration run.
/// </summary>
public static class TemplateDatabase
{
    static readonly Lazy<Task<string>> Template = new(CreateAsync);

    public static Task<string> NameAsync() => Template.Value;

    static async Task<string> CreateAsync()
    {
        var name = TestDatabases.NewName("template");
        await TestDatabases.CreateAsync(name);
        await using (var factory = new FiscusFactory(name))
        {
            _ = factory.Services; // starts the host: DatabaseStartup migrates, seeds and creates the admin
        }
        Npgsql.NpgsqlConnection.ClearAllPools();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TestDatabases.DropAsync(name).GetAwaiter().GetResult();
        return name;
    }
}
