namespace Fiscus.Server.Tests;

/// <summary>Every write leaves a record of who, when, what and from where, in the same transaction.</summary>
public sealed class AuditTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    sealed record Entry(string Actor, long? UserId, long? ApiClientId, string Action, string Entity, string EntityId, string? RemoteAddress, string? RequestId);

    async Task<Entry> LatestAsync(string action) => (await fiscus.QueryAsync<Entry>("""
        SELECT actor, user_id, api_client_id, action, entity, entity_id, remote_address, request_id
        FROM audit_log WHERE action = @action ORDER BY audit_id DESC LIMIT 1
        """, new { action })).Single();

    [Fact]
    public async Task A_staff_write_is_audited_with_the_user()
    {
        var manager = await fiscus.UserAsync("manager");
        var code = fiscus.Unique("AUD");

        using var response = await manager.Http.PostAsync("/api/v1/debit_types", Json.Body(new { code, description = "Audited" }));
        await response.ExpectAsync(HttpStatusCode.Created);

        var entry = await LatestAsync("debit_type.create");
        Assert.Equal(code, entry.EntityId);
        Assert.Equal(manager.UserId, entry.UserId);
        Assert.Null(entry.ApiClientId);
        Assert.Contains(manager.Username, entry.Actor, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(entry.RequestId));
    }

    [Fact]
    public async Task A_client_write_is_audited_with_the_client()
    {
        var client = await fiscus.ClientAsync(["reference:write", "refunds:write"]);
        var code = fiscus.Unique("CLI");

        using var response = await client.Http.PostAsync("/api/v1/payment_types", Json.Body(new { code, description = "By a client" }));
        await response.ExpectAsync(HttpStatusCode.Created);

        var entry = await LatestAsync("payment_type.create");
        Assert.Equal(code, entry.EntityId);
        Assert.Null(entry.UserId);
        Assert.NotNull(entry.ApiClientId);
    }

    [Fact]
    public async Task A_refused_write_leaves_no_audit_entry_and_no_change()
    {
        var admin = await fiscus.AdminAsync();
        var before = await fiscus.ScalarAsync<long>("SELECT count(*) FROM audit_log");

        using var response = await admin.PostAsync("/api/v1/libraries", Json.Body(new { library_id = "MAIN", name = "dup" }));
        await response.ExpectAsync(HttpStatusCode.Conflict);

        Assert.Equal(before, await fiscus.ScalarAsync<long>("SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public async Task Sign_ins_and_token_grants_are_audited()
    {
        var user = await fiscus.UserAsync("cashier");
        var client = await fiscus.ClientAsync(["registers:read"]);

        Assert.Equal(user.UserId, (await LatestAsync("auth.login")).UserId);
        Assert.Equal(client.ClientId, (await LatestAsync("auth.token")).EntityId);
    }
}
