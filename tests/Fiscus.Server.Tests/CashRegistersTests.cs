namespace Fiscus.Server.Tests;

public sealed class CashRegistersTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    async Task<JsonNode> CreateAsync(string name, string library = "MAIN", object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["name"] = name, ["library_id"] = library };
        foreach (var property in extra?.GetType().GetProperties() ?? [])
        {
            body[property.Name] = property.GetValue(extra);
        }
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/cash_registers", Json.Body(body));
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    async Task<string> NewLibraryAsync()
    {
        var id = fiscus.Unique("L");
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = id, name = id }));
        await response.ExpectAsync(HttpStatusCode.Created);
        return id;
    }

    [Fact]
    public async Task The_seeded_register_has_Kohas_shape_and_a_float()
    {
        using var response = await (await fiscus.StaffAsync("cashier")).Http.GetAsync("/api/v1/cash_registers/1");

        var register = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["cash_register_id", "name", "description", "library_id", "starting_float", "archived", "library_default"],
            register.AsObject().Select(p => p.Key));
        Assert.Equal("100.00", register["starting_float"]!.ToJsonString());
        Assert.True(register["library_default"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Money_on_the_wire_is_major_units_with_the_currency_decimals()
    {
        var library = await NewLibraryAsync();
        var register = await CreateAsync("Float", library, new { starting_float = 75.5m });

        Assert.Equal("75.50", register["starting_float"]!.ToJsonString());
        Assert.Equal(7550, await fiscus.ScalarAsync<long>("SELECT starting_float_minor FROM cash_registers WHERE cash_register_id = @id",
            new { id = register["cash_register_id"]!.GetValue<int>() }));
    }

    [Fact]
    public async Task Making_a_register_the_default_takes_the_flag_from_the_old_default()
    {
        var library = await NewLibraryAsync();
        var first = await CreateAsync("First", library, new { library_default = true });
        var second = await CreateAsync("Second", library, new { library_default = true });

        Assert.True(second["library_default"]!.GetValue<bool>());
        using var reread = await (await fiscus.AdminAsync()).GetAsync($"/api/v1/cash_registers/{first["cash_register_id"]}");
        Assert.False((await reread.ExpectAsync(HttpStatusCode.OK))["library_default"]!.GetValue<bool>());
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM cash_registers WHERE library_id = @library AND library_default", new { library }));
    }

    [Fact]
    public async Task Concurrent_defaults_leave_exactly_one_default()
    {
        var library = await NewLibraryAsync();
        var admin = await fiscus.AdminAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => admin.PostAsync("/api/v1/cash_registers",
            Json.Body(new { name = $"Till {i}", library_id = library, library_default = true }))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM cash_registers WHERE library_id = @library AND library_default", new { library }));
    }

    [Theory]
    [InlineData("Main desk")]
    [InlineData("MAIN DESK")]
    public async Task Register_names_are_unique_per_library_regardless_of_case(string name)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/cash_registers", Json.Body(new { name, library_id = "MAIN" }));

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "register_name_taken");
    }

    [Fact]
    public async Task The_same_name_is_fine_in_another_library()
    {
        var library = await NewLibraryAsync();

        await CreateAsync("Main desk", library);
    }

    [Fact]
    public async Task A_register_in_an_unknown_library_is_400()
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/cash_registers", Json.Body(new { name = "X", library_id = "NOPE" }));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_library");
        Assert.NotNull(problem["errors"]!["library_id"]);
    }

    [Fact]
    public async Task Archiving_drops_the_default_flag_and_an_archived_register_cannot_become_default()
    {
        var library = await NewLibraryAsync();
        var register = await CreateAsync("Old till", library, new { library_default = true, starting_float = 20m });
        var id = register["cash_register_id"]!.GetValue<int>();
        var admin = await fiscus.AdminAsync();

        using var archive = await admin.PostAsync($"/api/v1/cash_registers/{id}/archive", null);
        var archived = await archive.ExpectAsync(HttpStatusCode.OK);
        Assert.True(archived["archived"]!.GetValue<bool>());
        Assert.False(archived["library_default"]!.GetValue<bool>());

        using var makeDefault = await admin.PutAsync($"/api/v1/cash_registers/{id}",
            Json.Body(new { name = "Old till", library_id = library, library_default = true }));
        await makeDefault.ExpectProblemAsync(HttpStatusCode.Conflict, "register_archived");

        using var unarchive = await admin.PostAsync($"/api/v1/cash_registers/{id}/unarchive", null);
        Assert.False((await unarchive.ExpectAsync(HttpStatusCode.OK))["archived"]!.GetValue<bool>());
    }

    [Fact]
    public async Task PUT_keeps_fields_left_out_and_refuses_changes_to_read_only_ones()
    {
        var library = await NewLibraryAsync();
        var register = await CreateAsync("Keeper", library, new { description = "by the door", starting_float = 30m });
        var id = register["cash_register_id"]!.GetValue<int>();
        var admin = await fiscus.AdminAsync();

        using var rename = await admin.PutAsync($"/api/v1/cash_registers/{id}", Json.Body(new { name = "Keeper 2", library_id = library }));
        var renamed = await rename.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("by the door", renamed["description"]!.GetValue<string>());
        Assert.Equal("30.00", renamed["starting_float"]!.ToJsonString());

        using var archived = await admin.PutAsync($"/api/v1/cash_registers/{id}",
            Json.Body(new { name = "Keeper 2", library_id = library, archived = true }));
        await archived.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        using var otherId = await admin.PutAsync($"/api/v1/cash_registers/{id}",
            Json.Body(new { name = "Keeper 2", library_id = library, cash_register_id = id + 1 }));
        await otherId.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Unknown_registers_are_404()
    {
        var admin = await fiscus.AdminAsync();

        using var get = await admin.GetAsync("/api/v1/cash_registers/424242");
        using var put = await admin.PutAsync("/api/v1/cash_registers/424242", Json.Body(new { name = "x", library_id = "MAIN" }));
        using var archive = await admin.PostAsync("/api/v1/cash_registers/424242/archive", null);

        await get.ExpectProblemAsync(HttpStatusCode.NotFound, "register_not_found");
        await put.ExpectProblemAsync(HttpStatusCode.NotFound, "register_not_found");
        await archive.ExpectProblemAsync(HttpStatusCode.NotFound, "register_not_found");
    }

    [Fact]
    public async Task A_client_bound_to_a_register_sees_only_that_register()
    {
        var library = await NewLibraryAsync();
        var mine = await CreateAsync("Kiosk till", library);
        var mineId = mine["cash_register_id"]!.GetValue<int>();
        var client = await fiscus.ClientAsync(["registers:read"], cashRegisterId: mineId);

        using var list = await client.Http.GetAsync("/api/v1/cash_registers");
        var registers = await list.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([mineId], registers.AsArray().Select(r => r!["cash_register_id"]!.GetValue<int>()));

        using var own = await client.Http.GetAsync($"/api/v1/cash_registers/{mineId}");
        await own.ExpectAsync(HttpStatusCode.OK);
        using var other = await client.Http.GetAsync("/api/v1/cash_registers/1");
        await other.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
    }

    [Fact]
    public async Task A_client_bound_to_a_library_sees_that_librarys_registers()
    {
        var library = await NewLibraryAsync();
        var a = (await CreateAsync("A", library))["cash_register_id"]!.GetValue<int>();
        var b = (await CreateAsync("B", library))["cash_register_id"]!.GetValue<int>();
        var client = await fiscus.ClientAsync(["registers:read"], libraryId: library);

        using var list = await client.Http.GetAsync("/api/v1/cash_registers");
        var registers = await list.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([a, b], registers.AsArray().Select(r => r!["cash_register_id"]!.GetValue<int>()));
        using var other = await client.Http.GetAsync("/api/v1/cash_registers/1");
        await other.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
    }

    [Fact]
    public async Task Lists_filter_and_page()
    {
        var library = await NewLibraryAsync();
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync($"Page {i}", library);
        }
        var admin = await fiscus.AdminAsync();

        using var page = await admin.GetAsync($"/api/v1/cash_registers?library_id={library}&_page=2&_per_page=2");

        var registers = await page.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["Page 2", "Page 3"], registers.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        Assert.Equal("5", page.Headers.GetValues("X-Total-Count").Single());
        var link = page.Headers.GetValues("Link").Single();
        Assert.Contains("_page=3&_per_page=2>; rel=\"next\"", link, StringComparison.Ordinal);
        Assert.Contains("_page=1&_per_page=2>; rel=\"prev\"", link, StringComparison.Ordinal);
    }
}
