namespace Fiscus.Server.Tests;

public sealed class LibrariesTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task The_seeded_main_library_is_listed_with_paging_headers()
    {
        var cashier = await fiscus.StaffAsync("cashier");

        using var response = await cashier.Http.GetAsync("/api/v1/libraries");

        var list = await response.ExpectAsync(HttpStatusCode.OK);
        var main = Assert.Single(list.AsArray(), l => l!["library_id"]!.GetValue<string>() == "MAIN")!;
        Assert.Equal(["library_id", "name", "time_zone"], main.AsObject().Select(p => p.Key));
        Assert.True(response.Headers.Contains("X-Total-Count"));
        Assert.Contains("rel=\"first\"", response.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_adds_and_renames_a_library()
    {
        var admin = await fiscus.AdminAsync();
        var id = fiscus.Unique("BR");

        using var created = await admin.PostAsync("/api/v1/libraries", Json.Body(new { library_id = id, name = "Branch", time_zone = "Europe/London" }));
        var library = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"/api/v1/libraries/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal("Europe/London", library["time_zone"]!.GetValue<string>());

        using var updated = await admin.PutAsync($"/api/v1/libraries/{id}", Json.Body(new { library_id = id, name = "Branch library", time_zone = "America/Chicago" }));
        var after = await updated.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Branch library", after["name"]!.GetValue<string>());
        Assert.Equal("America/Chicago", after["time_zone"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_library_without_a_time_zone_gets_the_installation_default()
    {
        using var created = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries",
            Json.Body(new { library_id = fiscus.Unique("TZ"), name = "Default zone" }));

        var library = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("UTC", library["time_zone"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("MAIN", HttpStatusCode.Conflict, "library_exists")]
    [InlineData("main", HttpStatusCode.Conflict, "library_exists")]
    [InlineData("TOO-LONG-CODE", HttpStatusCode.BadRequest, "validation_failed")]
    [InlineData("BAD CODE", HttpStatusCode.BadRequest, "validation_failed")]
    public async Task Library_ids_are_short_codes_unique_regardless_of_case(string id, HttpStatusCode status, string code)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = id, name = "x" }));

        await response.ExpectProblemAsync(status, code);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("EST")]
    [InlineData("")]
    [InlineData("Europe//London")]
    [InlineData("Europe/./London")]
    [InlineData("Europe/../Europe/London")]
    [InlineData("Europe/London/")]
    [InlineData("/Europe/London")]
    public async Task Time_zones_must_be_IANA_names(string zone)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries",
            Json.Body(new { library_id = fiscus.Unique("Z"), name = "x", time_zone = zone }));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["time_zone"]);
    }

    [Fact]
    public async Task Every_time_zone_Fiscus_accepts_PostgreSQL_knows_too()
    {
        // Reports reckon business days in SQL (AT TIME ZONE); a name only .NET understands would break them.
        var accepted = TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Where(Fiscus.Server.Http.TimeZones.IsIana).ToArray();
        var known = (await fiscus.QueryAsync<string>("SELECT name FROM pg_timezone_names")).ToHashSet(StringComparer.Ordinal);

        Assert.Contains("Europe/London", accepted);
        Assert.DoesNotContain(accepted, z => !known.Contains(z));
    }

    [Fact]
    public async Task Unknown_libraries_are_404()
    {
        var admin = await fiscus.AdminAsync();

        using var get = await admin.GetAsync("/api/v1/libraries/NOPE");
        using var put = await admin.PutAsync("/api/v1/libraries/NOPE", Json.Body(new { name = "x", time_zone = "UTC" }));

        await get.ExpectProblemAsync(HttpStatusCode.NotFound, "library_not_found");
        await put.ExpectProblemAsync(HttpStatusCode.NotFound, "library_not_found");
    }

    [Fact]
    public async Task The_library_id_cannot_be_changed_by_PUT()
    {
        using var response = await (await fiscus.AdminAsync()).PutAsync("/api/v1/libraries/MAIN",
            Json.Body(new { library_id = "OTHER", name = "Main library", time_zone = "UTC" }));

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }
}
