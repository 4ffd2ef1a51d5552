using System.Text.Json;

namespace Fiscus.Server.Tests.KohaDropIn;

/// <summary>
/// Cash registers as Koha's <c>cash_register</c> definition has them (<c>additionalProperties: false</c>: exactly its keys,
/// of its types), and the assertions of Koha's <c>t/db_dependent/api/v1/cash_registers.t</c>, held against Fiscus.
/// </summary>
public sealed class KohaCashRegistersTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static readonly string[] KohaKeys = ["archived", "cash_register_id", "description", "library_default", "library_id", "name", "starting_float"];

    /// <summary>Koha's definition: its keys only, each of its type (<c>library_id</c> 1 to 10 characters, <c>starting_float</c> a number or null).</summary>
    static void AssertKohaRegister(JsonNode? register, params string[] embeds)
    {
        var body = register!.AsObject();
        Assert.Equal(KohaKeys.Concat(embeds).Order(StringComparer.Ordinal), body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.True(body["cash_register_id"]!.AsValue().TryGetValue<int>(out _), "cash_register_id is an integer");
        Assert.Equal(JsonValueKind.String, body["name"]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, body["description"]!.GetValueKind());
        Assert.InRange(body["library_id"]!.GetValue<string>().Length, 1, 10);
        Assert.True(body["starting_float"] is null || body["starting_float"]!.GetValueKind() == JsonValueKind.Number, "starting_float is a number or null");
        Assert.Contains(body["archived"]!.GetValueKind(), new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.Contains(body["library_default"]!.GetValueKind(), new[] { JsonValueKind.True, JsonValueKind.False });
    }

    async Task<string> NewLibraryAsync()
    {
        var id = fiscus.Unique("KR");
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = id, name = id }));
        await response.ExpectAsync(HttpStatusCode.Created);
        return id;
    }

    async Task<JsonNode> CreateAsync(string library, string name)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/cash_registers",
            Json.Body(new { name, library_id = library, description = $"{name} by the door", starting_float = 20m }));
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Every_answer_that_is_a_register_has_exactly_Kohas_keys_and_types()
    {
        var admin = await fiscus.AdminAsync();
        var library = await NewLibraryAsync();
        var created = await CreateAsync(library, "Shape");
        AssertKohaRegister(created);
        var id = created["cash_register_id"]!.GetValue<int>();

        using var list = await admin.GetAsync("/api/v1/cash_registers");
        Assert.All((await list.ExpectAsync(HttpStatusCode.OK)).AsArray(), r => AssertKohaRegister(r));
        using var one = await admin.GetAsync($"/api/v1/cash_registers/{id}");
        AssertKohaRegister(await one.ExpectAsync(HttpStatusCode.OK));
        using var updated = await admin.PutAsync($"/api/v1/cash_registers/{id}", Json.Body(new { name = "Shape 2", library_id = library }));
        AssertKohaRegister(await updated.ExpectAsync(HttpStatusCode.OK));
        using var archived = await admin.PostAsync($"/api/v1/cash_registers/{id}/archive", null);
        AssertKohaRegister(await archived.ExpectAsync(HttpStatusCode.OK));
        using var unarchived = await admin.PostAsync($"/api/v1/cash_registers/{id}/unarchive", null);
        AssertKohaRegister(await unarchived.ExpectAsync(HttpStatusCode.OK));
    }

    [Fact]
    public async Task Fiscus_facts_come_under_fiscus_only_when_embedded_and_other_embeds_are_refused()
    {
        var admin = await fiscus.AdminAsync();
        var created = await CreateAsync(await NewLibraryAsync(), "Embedded");
        var id = created["cash_register_id"]!.GetValue<int>();

        using var one = await admin.GetEmbeddedAsync($"/api/v1/cash_registers/{id}", "fiscus");
        var register = await one.ExpectAsync(HttpStatusCode.OK);
        AssertKohaRegister(register, "fiscus");
        var facts = register["fiscus"]!.AsObject();
        Assert.Equal(["created_at", "updated_at"], facts.Select(p => p.Key));
        Assert.True(DateTimeOffset.TryParse(facts["created_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out _));
        using var list = await admin.GetEmbeddedAsync("/api/v1/cash_registers", "fiscus");
        Assert.All((await list.ExpectAsync(HttpStatusCode.OK)).AsArray(), r => AssertKohaRegister(r, "fiscus"));

        // Koha's register routes offer no embed; Fiscus offers fiscus only: asking for another is Koha's 400.
        using var manager = await admin.GetEmbeddedAsync($"/api/v1/cash_registers/{id}", "manager");
        var refused = await manager.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("/x-koha-embed", refused["errors"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Kohas_cash_registers_t_list_is_empty_then_in_order_and_each_reads_the_same_alone()
    {
        var admin = await fiscus.AdminAsync();
        var library = await NewLibraryAsync();
        using (var none = await admin.GetAsync($"/api/v1/cash_registers?library_id={library}"))
        {
            Assert.Equal("[]", (await none.ExpectAsync(HttpStatusCode.OK)).ToJsonString());
        }

        var first = await CreateAsync(library, "First");
        var second = await CreateAsync(library, "Second");

        using var list = await admin.GetAsync($"/api/v1/cash_registers?library_id={library}");
        var listed = (await list.ExpectAsync(HttpStatusCode.OK)).AsArray();
        Assert.Equal([first.ToJsonString(), second.ToJsonString()], listed.Select(r => r!.ToJsonString()));
        foreach (var register in listed)
        {
            using var alone = await admin.GetAsync($"/api/v1/cash_registers/{register!["cash_register_id"]}");
            Assert.Equal(register.ToJsonString(), (await alone.ExpectAsync(HttpStatusCode.OK)).ToJsonString());
        }
    }

    [Fact]
    public async Task Without_the_permission_the_list_is_403_and_a_missing_register_is_Kohas_404()
    {
        var unprivileged = await fiscus.ClientAsync(["accounts:read"]);
        using var forbidden = await unprivileged.Http.GetAsync("/api/v1/cash_registers");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        using var missing = await (await fiscus.AdminAsync()).GetAsync("/api/v1/cash_registers/987654");
        var problem = await missing.ExpectProblemAsync(HttpStatusCode.NotFound, "register_not_found");
        Assert.Equal("Register not found", problem["error"]!.GetValue<string>());
        Assert.Equal("not_found", problem["error_code"]!.GetValue<string>());
    }
}
