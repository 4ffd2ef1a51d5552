namespace Fiscus.Server.Tests;

public sealed class PatronsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    async Task<JsonNode> CreateAsync(object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await (await fiscus.StaffAsync("manager")).Http.PostAsync("/api/v1/patrons", Json.Body(body));
        return await response.ExpectAsync(expected);
    }

    [Fact]
    public async Task A_manager_adds_a_patron_and_a_cashier_finds_them_by_cardnumber()
    {
        var cardnumber = fiscus.Unique("2300");
        var patron = await CreateAsync(new { cardnumber, firstname = "Ada", surname = "Lovelace", library_id = "MAIN" });
        Assert.Equal(["patron_id", "cardnumber", "firstname", "surname", "library_id", "secured"], patron.AsObject().Select(p => p.Key));

        using var found = await (await fiscus.StaffAsync("cashier")).Http.GetAsync($"/api/v1/patrons?cardnumber={cardnumber}");
        var list = await found.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(patron["patron_id"]!.GetValue<long>(), Assert.Single(list.AsArray())!["patron_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_import_keeps_the_ILS_patron_id_and_later_ids_do_not_collide()
    {
        var imported = await CreateAsync(new { patron_id = 900001, cardnumber = fiscus.Unique("IMP"), surname = "Imported", library_id = "MAIN" });
        Assert.Equal(900001, imported["patron_id"]!.GetValue<long>());

        var next = await CreateAsync(new { cardnumber = fiscus.Unique("NEXT"), surname = "Assigned", library_id = "MAIN" });
        Assert.True(next["patron_id"]!.GetValue<long>() > 900001);

        var again = await CreateAsync(new { patron_id = 900001, cardnumber = fiscus.Unique("DUP"), surname = "Twice", library_id = "MAIN" },
            HttpStatusCode.Conflict);
        Assert.Equal("patron_exists", again["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Imported_ids_stop_where_JSON_clients_stop_counting_exactly_and_leave_room_for_more()
    {
        var tooBig = await CreateAsync(new { patron_id = 9_223_372_036_854_775_807, cardnumber = fiscus.Unique("MAX"), surname = "X", library_id = "MAIN" },
            HttpStatusCode.BadRequest);
        Assert.NotNull(tooBig["errors"]!["patron_id"]);
        await CreateAsync(new { patron_id = 9_007_199_254_740_992, cardnumber = fiscus.Unique("MAX"), surname = "X", library_id = "MAIN" },
            HttpStatusCode.BadRequest);

        var largest = await CreateAsync(new { patron_id = 9_007_199_254_740_991, cardnumber = fiscus.Unique("MAX"), surname = "X", library_id = "MAIN" });
        var next = await CreateAsync(new { cardnumber = fiscus.Unique("AFTER"), surname = "Assigned", library_id = "MAIN" });

        Assert.Equal(9_007_199_254_740_991, largest["patron_id"]!.GetValue<long>());
        Assert.True(next["patron_id"]!.GetValue<long>() > 9_007_199_254_740_991);
    }

    [Fact]
    public async Task Cardnumbers_are_unique()
    {
        var cardnumber = fiscus.Unique("CARD");
        await CreateAsync(new { cardnumber, surname = "One", library_id = "MAIN" });

        var second = await CreateAsync(new { cardnumber, surname = "Two", library_id = "MAIN" }, HttpStatusCode.Conflict);

        Assert.Equal("cardnumber_taken", second["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"cardnumber": "", "surname": "x", "library_id": "MAIN"}""", "cardnumber")]
    [InlineData("""{"cardnumber": "123456789012345678901234567890123", "surname": "x", "library_id": "MAIN"}""", "cardnumber")]
    [InlineData("""{"cardnumber": "c1", "surname": " ", "library_id": "MAIN"}""", "surname")]
    [InlineData("""{"cardnumber": "c1", "surname": "x", "library_id": "MAIN", "patron_id": 0}""", "patron_id")]
    [InlineData("""{"cardnumber": "c1", "surname": "x", "library_id": "NOPE"}""", "library_id")]
    public async Task Invalid_patrons_are_400_naming_the_field(string body, string field)
    {
        using var response = await (await fiscus.StaffAsync("manager")).Http.PostAsync("/api/v1/patrons", Json.Raw(body));

        var problem = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task A_patron_record_can_be_secured_and_the_change_is_audited()
    {
        var patron = await CreateAsync(new { cardnumber = fiscus.Unique("SEC"), surname = "Private", library_id = "MAIN" });
        var id = patron["patron_id"]!.GetValue<long>();

        using var response = await (await fiscus.StaffAsync("manager")).Http.PutAsync($"/api/v1/patrons/{id}",
            Json.Body(new { cardnumber = patron["cardnumber"]!.GetValue<string>(), surname = "Private", library_id = "MAIN", secured = true }));

        Assert.True((await response.ExpectAsync(HttpStatusCode.OK))["secured"]!.GetValue<bool>());
        Assert.True(await fiscus.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'patron.secure' AND entity_id = @id)", new { id = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    [Fact]
    public async Task Surname_search_is_a_case_insensitive_prefix_and_treats_wildcards_literally()
    {
        await CreateAsync(new { cardnumber = fiscus.Unique("S"), surname = "Okonkwo", library_id = "MAIN" });
        await CreateAsync(new { cardnumber = fiscus.Unique("S"), surname = "Okafor", library_id = "MAIN" });
        var cashier = (await fiscus.StaffAsync("cashier")).Http;

        using var prefix = await cashier.GetAsync("/api/v1/patrons?surname=oko");
        using var wildcard = await cashier.GetAsync("/api/v1/patrons?surname=%25");

        Assert.Equal(["Okonkwo"], (await prefix.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(p => p!["surname"]!.GetValue<string>()));
        Assert.Empty((await wildcard.ExpectAsync(HttpStatusCode.OK)).AsArray());
    }

    [Fact]
    public async Task Unknown_patrons_are_404()
    {
        var manager = (await fiscus.StaffAsync("manager")).Http;

        using var get = await manager.GetAsync("/api/v1/patrons/77777777");
        using var put = await manager.PutAsync("/api/v1/patrons/77777777", Json.Body(new { cardnumber = "x", surname = "x", library_id = "MAIN" }));

        await get.ExpectProblemAsync(HttpStatusCode.NotFound, "patron_not_found");
        await put.ExpectProblemAsync(HttpStatusCode.NotFound, "patron_not_found");
    }
}
