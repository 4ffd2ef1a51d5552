namespace Fiscus.Server.Tests;

/// <summary>API clients' service users (migration 0014) are nobody to the command line and to the first start.</summary>
public sealed partial class CliTests
{
    [Fact]
    public async Task Service_users_are_not_users_to_the_command_line_nor_to_the_first_starts_no_users_check()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);
        var added = await RunAsync("client", "add", "--name", "Kiosk 1", "--scopes", "registers:read");
        Assert.True(added.Code == 0, added.Error);
        var serviceUser = await OwnerScalarAsync<string>("SELECT u.username FROM api_clients c JOIN staff_users u ON u.user_id = c.service_user_id");
        Assert.StartsWith("api-client:", serviceUser, StringComparison.Ordinal);

        var list = await RunAsync("user", "list");
        Assert.Equal(0, list.Code);
        Assert.DoesNotContain("api-client", list.Output, StringComparison.Ordinal);
        foreach (var verb in new[] { "password", "disable", "enable" })
        {
            var refused = await RunAsync("user", verb, "--username", serviceUser);
            Assert.Equal(1, refused.Code);
        }

        // Only a service user exists: the first start still creates the admin.
        await using (var factory = new FiscusFactory(database))
        {
            _ = factory.Services;
        }
        Npgsql.NpgsqlConnection.ClearAllPools();
        Assert.Equal(1, await OwnerScalarAsync<long>("SELECT count(*) FROM staff_users WHERE username = 'admin' AND role = 'admin'"));
    }
}
