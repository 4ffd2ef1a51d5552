using Fiscus.Server.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Server.Tests;

/// <summary>Patron PINs (SIP2's patron password): set, cleared and given at creation, never shown, checked as the SIP2 server checks them.</summary>
public sealed class PatronPinTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    async Task<HttpClient> ManagerAsync() => (await fiscus.StaffAsync("manager")).Http;

    async Task<(string? PinHash, DateTime? PinChangedAt)> StoredAsync(long patronId) => (await fiscus.QueryAsync<(string?, DateTime?)>(
        "SELECT pin_hash, pin_changed_at FROM patrons WHERE patron_id = @patronId", new { patronId })).Single();

    bool Matches(string? hash, string pin) => fiscus.Factory.Services.GetRequiredService<Passwords>().Verify(hash, pin).Valid;

    Task<IReadOnlyList<string>> AuditAsync(long patronId) => fiscus.QueryAsync<string>(
        "SELECT action || ' ' || coalesce(details::text, '') FROM audit_log WHERE entity = 'patron' AND entity_id = @id ORDER BY audit_id",
        new { id = patronId.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    [Fact]
    public async Task A_PIN_is_stored_as_a_hash_the_SIP2_server_can_check_and_never_shown()
    {
        var patronId = await fiscus.PatronAsync();
        var manager = await ManagerAsync();

        using var set = await manager.PutAsync($"/api/v1/patrons/{patronId}/pin", Json.Body(new { pin = "4711" }));

        await set.ExpectAsync(HttpStatusCode.NoContent);
        var (hash, changedAt) = await StoredAsync(patronId);
        Assert.True(Matches(hash, "4711"));
        Assert.False(Matches(hash, "4712"));
        Assert.DoesNotContain("4711", hash, StringComparison.Ordinal);
        Assert.Equal(fiscus.Clock.GetUtcNow().UtcDateTime, changedAt!.Value, TimeSpan.FromMilliseconds(1));
        using var get = await manager.GetAsync($"/api/v1/patrons/{patronId}");
        using var list = await manager.GetAsync($"/api/v1/patrons?_per_page=1000");
        using var account = await manager.GetAsync($"/api/v1/patrons/{patronId}/account");
        foreach (var response in new[] { get, list, account })
        {
            var text = (await response.ExpectAsync(HttpStatusCode.OK)).ToJsonString();
            Assert.DoesNotContain("pin", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(hash!, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_new_PIN_replaces_the_old_and_clearing_removes_it()
    {
        var patronId = await fiscus.PatronAsync();
        var manager = await ManagerAsync();
        using (var first = await manager.PutAsync($"/api/v1/patrons/{patronId}/pin", Json.Body(new { pin = "first-pin" })))
        {
            await first.ExpectAsync(HttpStatusCode.NoContent);
        }

        using (var second = await manager.PutAsync($"/api/v1/patrons/{patronId}/pin", Json.Body(new { pin = "Zweite PIN ü" })))
        {
            await second.ExpectAsync(HttpStatusCode.NoContent);
        }
        var (hash, _) = await StoredAsync(patronId);
        Assert.False(Matches(hash, "first-pin"));
        Assert.True(Matches(hash, "Zweite PIN ü"));

        using var clear = await manager.DeleteAsync($"/api/v1/patrons/{patronId}/pin");
        await clear.ExpectAsync(HttpStatusCode.NoContent);
        Assert.Null((await StoredAsync(patronId)).PinHash);
        // Clearing what is not there is no error: the patron has no PIN either way.
        using var again = await manager.DeleteAsync($"/api/v1/patrons/{patronId}/pin");
        await again.ExpectAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_patron_created_or_imported_with_a_PIN_has_it_and_the_answer_does_not_show_it()
    {
        var manager = await ManagerAsync();
        using var created = await manager.PostAsync("/api/v1/patrons",
            Json.Body(new { cardnumber = fiscus.Unique("PIN"), surname = "Kiosk", library_id = "MAIN", pin = "2580" }));
        using var imported = await manager.PostAsync("/api/v1/patrons",
            Json.Body(new { patron_id = 7_000_001, cardnumber = fiscus.Unique("PIN"), surname = "Imported", library_id = "MAIN", pin = "0852" }));

        var patron = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(["patron_id", "cardnumber", "firstname", "surname", "library_id", "secured"], patron.AsObject().Select(p => p.Key));
        var patronId = patron["patron_id"]!.GetValue<long>();
        Assert.True(Matches((await StoredAsync(patronId)).PinHash, "2580"));
        Assert.Equal(["patron.create", "patron.pin_set "], (await AuditAsync(patronId)).Select(a => a.StartsWith("patron.create ", StringComparison.Ordinal) ? "patron.create" : a));
        await imported.ExpectAsync(HttpStatusCode.Created);
        Assert.True(Matches((await StoredAsync(7_000_001)).PinHash, "0852"));
        // Without one, none is set.
        Assert.Null((await StoredAsync(await fiscus.PatronAsync())).PinHash);
    }

    [Theory]
    [InlineData("""{"pin": "123"}""")]
    [InlineData("""{"pin": "12345678901234567890123456789012345678901234567890123456789012345"}""")]
    [InlineData("""{"pin": "12|34"}""")]
    [InlineData("""{"pin": "1234\r"}""")]
    [InlineData("""{"pin": "\u00071234"}""")]
    [InlineData("""{"pin": "12\u008534"}""")]
    public async Task PINs_a_SIP2_field_cannot_carry_are_400_naming_pin(string body)
    {
        var patronId = await fiscus.PatronAsync();
        var manager = await ManagerAsync();
        var createBody = body.Replace("{", $$"""{"cardnumber": "{{fiscus.Unique("BADPIN")}}", "surname": "X", "library_id": "MAIN", """, StringComparison.Ordinal);

        using var set = await manager.PutAsync($"/api/v1/patrons/{patronId}/pin", Json.Raw(body));
        using var create = await manager.PostAsync("/api/v1/patrons", Json.Raw(createBody));

        Assert.NotNull((await set.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["pin"]);
        Assert.NotNull((await create.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["pin"]);
        Assert.Null((await StoredAsync(patronId)).PinHash);
    }

    [Fact]
    public async Task A_missing_or_empty_PIN_and_a_PIN_on_update_are_400()
    {
        var patronId = await fiscus.PatronAsync();
        var manager = await ManagerAsync();

        using var missing = await manager.PutAsync($"/api/v1/patrons/{patronId}/pin", Json.Raw("{}"));
        using var nothing = await manager.PutAsync($"/api/v1/patrons/{patronId}/pin", Json.Raw("""{"pin": null}"""));
        using var onUpdate = await manager.PutAsync($"/api/v1/patrons/{patronId}",
            Json.Body(new { cardnumber = fiscus.Unique("UPD"), surname = "X", library_id = "MAIN", pin = "1234" }));

        await missing.ExpectProblemAsync(HttpStatusCode.BadRequest, "missing_field");
        await nothing.ExpectProblemAsync(HttpStatusCode.BadRequest, "null_field");
        await onUpdate.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_field");
    }

    [Fact]
    public async Task Unknown_patrons_are_404()
    {
        var manager = await ManagerAsync();

        using var set = await manager.PutAsync("/api/v1/patrons/88888888/pin", Json.Body(new { pin = "1234" }));
        using var clear = await manager.DeleteAsync("/api/v1/patrons/88888888/pin");

        await set.ExpectProblemAsync(HttpStatusCode.NotFound, "patron_not_found");
        await clear.ExpectProblemAsync(HttpStatusCode.NotFound, "patron_not_found");
    }

    [Fact]
    public async Task A_cashier_cannot_set_PINs()
    {
        var patronId = await fiscus.PatronAsync();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;

        using var set = await cashier.PutAsync($"/api/v1/patrons/{patronId}/pin", Json.Body(new { pin = "1234" }));
        using var clear = await cashier.DeleteAsync($"/api/v1/patrons/{patronId}/pin");

        await set.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await clear.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_bound_client_sets_PINs_only_for_its_own_librarys_patrons()
    {
        var library = fiscus.Unique("PINLIB");
        using (var created = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = library, name = library })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var own = await fiscus.PatronAsync(library);
        var other = await fiscus.PatronAsync("MAIN");
        var client = (await fiscus.ClientAsync(["patrons:write"], libraryId: library)).Http;

        using var inside = await client.PutAsync($"/api/v1/patrons/{own}/pin", Json.Body(new { pin = "1234" }));
        using var outside = await client.PutAsync($"/api/v1/patrons/{other}/pin", Json.Body(new { pin = "1234" }));
        using var outsideClear = await client.DeleteAsync($"/api/v1/patrons/{other}/pin");
        using var createOutside = await client.PostAsync("/api/v1/patrons",
            Json.Body(new { cardnumber = fiscus.Unique("OUT"), surname = "X", library_id = "MAIN", pin = "1234" }));

        await inside.ExpectAsync(HttpStatusCode.NoContent);
        await outside.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
        await outsideClear.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
        await createOutside.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
        Assert.NotNull((await StoredAsync(own)).PinHash);
        Assert.Null((await StoredAsync(other)).PinHash);
    }

    [Fact]
    public async Task Setting_and_clearing_are_audited_without_the_PIN()
    {
        var patronId = await fiscus.PatronAsync();
        var manager = await fiscus.StaffAsync("manager");
        using (var set = await manager.Http.PutAsync($"/api/v1/patrons/{patronId}/pin", Json.Body(new { pin = "97531" })))
        {
            await set.ExpectAsync(HttpStatusCode.NoContent);
        }
        using (var clear = await manager.Http.DeleteAsync($"/api/v1/patrons/{patronId}/pin"))
        {
            await clear.ExpectAsync(HttpStatusCode.NoContent);
        }

        var entries = await fiscus.QueryAsync<(string Action, long? UserId, string? Details)>("""
            SELECT action, user_id, details::text FROM audit_log WHERE entity = 'patron' AND entity_id = @id AND action LIKE 'patron.pin%' ORDER BY audit_id
            """, new { id = patronId.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Equal(["patron.pin_set", "patron.pin_cleared"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(manager.UserId, e.UserId));
        Assert.All(entries, e => Assert.Null(e.Details));
    }
}
