namespace Fiscus.Server.Tests;

/// <summary>Debit, credit and payment types share their life cycle: create, update, archive; system types are protected.</summary>
public sealed class ReferenceTypesTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    public static TheoryData<string, string> Kinds => new()
    {
        { "debit_types", "MANUAL" },
        { "credit_types", "CREDIT" },
        { "payment_types", "CARD" },
    };

    public static TheoryData<string, string> SystemTypes => new()
    {
        { "debit_types", "VOID" },
        { "debit_types", "PAYOUT" },
        { "credit_types", "PAYMENT" },
        { "credit_types", "PURCHASE" },
        { "payment_types", "CASH" },
        { "payment_types", "SIP00" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_manager_adds_updates_archives_and_restores_a_type(string kind, string existing)
    {
        _ = existing;
        var manager = (await fiscus.StaffAsync("manager")).Http;
        var code = fiscus.Unique("NEW_");

        using var created = await manager.PostAsync($"/api/v1/{kind}", Json.Body(new { code, description = "Made by a test" }));
        var type = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"/api/v1/{kind}/{code}", created.Headers.Location!.OriginalString);
        Assert.False(type["is_system"]!.GetValue<bool>());
        Assert.False(type["archived"]!.GetValue<bool>());

        using var updated = await manager.PutAsync($"/api/v1/{kind}/{code}", Json.Body(new { description = "Renamed", code, is_system = false }));
        Assert.Equal("Renamed", (await updated.ExpectAsync(HttpStatusCode.OK))["description"]!.GetValue<string>());

        using var archived = await manager.PostAsync($"/api/v1/{kind}/{code}/archive", null);
        Assert.True((await archived.ExpectAsync(HttpStatusCode.OK))["archived"]!.GetValue<bool>());
        using var listed = await manager.GetAsync($"/api/v1/{kind}?archived=false&_per_page=1000");
        Assert.DoesNotContain((await listed.ExpectAsync(HttpStatusCode.OK)).AsArray(), t => t!["code"]!.GetValue<string>() == code);

        using var restored = await manager.PostAsync($"/api/v1/{kind}/{code}/unarchive", null);
        Assert.False((await restored.ExpectAsync(HttpStatusCode.OK))["archived"]!.GetValue<bool>());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Duplicate_codes_are_409(string kind, string existing)
    {
        using var response = await (await fiscus.StaffAsync("manager")).Http.PostAsync($"/api/v1/{kind}",
            Json.Body(new { code = existing, description = "again" }));

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, $"{kind.TrimEnd('s')}_exists");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Unknown_codes_are_404(string kind, string existing)
    {
        _ = existing;
        var manager = (await fiscus.StaffAsync("manager")).Http;

        using var get = await manager.GetAsync($"/api/v1/{kind}/NOPE");
        using var put = await manager.PutAsync($"/api/v1/{kind}/NOPE", Json.Body(new { description = "x" }));
        using var archive = await manager.PostAsync($"/api/v1/{kind}/NOPE/archive", null);

        var code = $"{kind.TrimEnd('s')}_not_found";
        await get.ExpectProblemAsync(HttpStatusCode.NotFound, code);
        await put.ExpectProblemAsync(HttpStatusCode.NotFound, code);
        await archive.ExpectProblemAsync(HttpStatusCode.NotFound, code);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Bad_codes_and_descriptions_are_400(string kind, string existing)
    {
        _ = existing;
        var manager = (await fiscus.StaffAsync("manager")).Http;

        using var badCode = await manager.PostAsync($"/api/v1/{kind}", Json.Body(new { code = "HAS SPACE", description = "x" }));
        using var emptyDescription = await manager.PostAsync($"/api/v1/{kind}", Json.Body(new { code = fiscus.Unique("E"), description = " " }));
        using var changedCode = await manager.PutAsync($"/api/v1/{kind}/{existing}", Json.Body(new { description = "x", code = "OTHER" }));

        Assert.NotNull((await badCode.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["code"]);
        Assert.NotNull((await emptyDescription.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["description"]);
        Assert.NotNull((await changedCode.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["code"]);
    }

    [Theory]
    [MemberData(nameof(SystemTypes))]
    public async Task System_types_cannot_be_archived(string kind, string code)
    {
        using var response = await (await fiscus.StaffAsync("manager")).Http.PostAsync($"/api/v1/{kind}/{code}/archive", null);

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "system_type");
        Assert.False(await fiscus.ScalarAsync<bool>($"SELECT archived FROM {kind} WHERE code = @code", new { code }));
    }

    [Fact]
    public async Task The_cash_payment_type_always_counts_as_cash()
    {
        using var response = await (await fiscus.StaffAsync("manager")).Http.PutAsync("/api/v1/payment_types/CASH",
            Json.Body(new { description = "Notes and coins", counts_as_cash = false }));

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "system_type");
    }

    [Fact]
    public async Task A_system_debit_type_cannot_become_sellable()
    {
        using var response = await (await fiscus.StaffAsync("manager")).Http.PutAsync("/api/v1/debit_types/VOID",
            Json.Body(new { description = "Void", can_be_sold = true }));

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "system_type");
    }

    [Fact]
    public async Task Debit_types_carry_a_default_amount_in_major_units()
    {
        var manager = (await fiscus.StaffAsync("manager")).Http;
        var code = fiscus.Unique("BAG");

        using var created = await manager.PostAsync("/api/v1/debit_types",
            Json.Body(new { code, description = "Tote bag", default_amount = 2.5m, can_be_sold = true }));
        var type = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("2.50", type["default_amount"]!.ToJsonString());
        Assert.True(type["can_be_sold"]!.GetValue<bool>());

        using var sellable = await manager.GetAsync("/api/v1/debit_types?can_be_sold=true&_per_page=1000");
        Assert.Contains((await sellable.ExpectAsync(HttpStatusCode.OK)).AsArray(), t => t!["code"]!.GetValue<string>() == code);

        using var cleared = await manager.PutAsync($"/api/v1/debit_types/{code}", Json.Body(new { description = "Tote bag", default_amount = 0 }));
        Assert.Null((await cleared.ExpectAsync(HttpStatusCode.OK))["default_amount"]);

        using var tooPrecise = await manager.PostAsync("/api/v1/debit_types",
            Json.Body(new { code = fiscus.Unique("X"), description = "x", default_amount = 0.001m }));
        await tooPrecise.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Payment_types_say_whether_they_count_as_cash()
    {
        var manager = (await fiscus.StaffAsync("manager")).Http;

        using var list = await manager.GetAsync("/api/v1/payment_types");
        var types = (await list.ExpectAsync(HttpStatusCode.OK)).AsArray();

        var cash = types.Single(t => t!["code"]!.GetValue<string>() == "CASH")!;
        Assert.Equal(["code", "description", "counts_as_cash", "allowed_refund", "is_system", "archived", "payment_type_id", "owner_id"],
            cash.AsObject().Select(p => p.Key));
        Assert.True(cash["counts_as_cash"]!.GetValue<bool>());
        Assert.False(types.Single(t => t!["code"]!.GetValue<string>() == "CARD")!["counts_as_cash"]!.GetValue<bool>());
    }
}
