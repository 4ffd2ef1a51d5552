using Dapper;
using Fiscus.Server.Http;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>Whatever a client sends, the answer is a 4xx problem that names what was wrong, never a 500.</summary>
public sealed class ErrorHandlingTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    public static TheoryData<string, string, int, string, string?> BadBodies => new()
    {
        { "malformed JSON", """{"library_id": "X", """, 400, "malformed_json", null },
        { "not JSON at all", "library_id=X", 400, "malformed_json", null },
        { "a JSON array", "[]", 400, "invalid_type", null },
        { "wrong type", """{"library_id": "X", "name": 12}""", 400, "invalid_type", "name" },
        { "unknown field", """{"library_id": "X", "name": "x", "colour": "red"}""", 400, "unknown_field", "colour" },
        { "missing field", """{"name": "x"}""", 400, "missing_field", "library_id" },
        { "null field", """{"library_id": null, "name": "x"}""", 400, "null_field", "library_id" },
        { "number as string", """{"name": "Desk", "library_id": "MAIN", "starting_float": "10"}""", 400, "invalid_type", "starting_float" },
        { "huge number", """{"name": "Desk", "library_id": "MAIN", "starting_float": 1e400}""", 400, "invalid_type", "starting_float" },
        { "too many decimals", """{"name": "Desk", "library_id": "MAIN", "starting_float": 10.001}""", 400, "validation_failed", "starting_float" },
        { "negative float", """{"name": "Desk", "library_id": "MAIN", "starting_float": -1}""", 400, "validation_failed", "starting_float" },
        { "out-of-bounds amount", """{"name": "Desk", "library_id": "MAIN", "starting_float": 1000000.01}""", 400, "validation_failed", "starting_float" },
        { "overlong name", """{"name": "a register name far too long to print", "library_id": "MAIN"}""", 400, "validation_failed", "name" },
        { "lone surrogate escape", """{"library_id": "SUR", "name": "\ud800x"}""", 400, "malformed_json", null },
        { "lone surrogate in a field name", """{"library_id": "SUR", "name": "x", "\udc00": 1}""", 400, "malformed_json", null },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_bodies_are_400_with_the_field_named(string what, string body, int status, string code, string? field)
    {
        var admin = await fiscus.AdminAsync();
        var path = body.Contains("starting_float", StringComparison.Ordinal) || what == "overlong name" ? "/api/v1/cash_registers" : "/api/v1/libraries";

        using var response = await admin.PostAsync(path, Json.Raw(body));

        var problem = await response.ExpectProblemAsync((HttpStatusCode)status, code);
        if (field is not null)
        {
            Assert.True(problem["errors"]?[field] is not null, $"{what}: expected errors.{field} in {problem.ToJsonString()}");
            Assert.Contains(field, problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF8_are_400_malformed_json()
    {
        var content = new ByteArrayContent([.. "{\"library_id\": \"UTF\", \"name\": \"A"u8.ToArray(), 0xff, 0xfe, .. "\"}"u8.ToArray()]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", content);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM libraries WHERE library_id = 'UTF'"));
    }

    [Fact]
    public async Task A_page_far_past_the_end_is_empty_not_an_overflow()
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync("/api/v1/payment_types?_page=2147483647&_per_page=1000");

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Empty(body.AsArray());
        Assert.True(long.Parse(response.Headers.GetValues("X-Total-Count").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("text/csv")]
    [InlineData("application/xml")]
    public async Task Errors_are_problem_json_whatever_the_client_accepts(string accept)
    {
        var anonymous = fiscus.Anonymous();
        anonymous.DefaultRequestHeaders.Accept.ParseAdd(accept);
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var patron = await fiscus.PatronAsync();

        using var unauthorized = await anonymous.GetAsync("/api/v1/patrons/1");
        using var forbidden = await cashier.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/reports/daily?library_id=MAIN")
        {
            Headers = { { "Accept", accept } },
        });
        using var invalid = await (await fiscus.AdminAsync()).SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/v1/patrons/{patron}/account/debits")
        {
            Headers = { { "Accept", accept } },
            Content = Json.Body(new { amount = -1m, type = "MANUAL" }),
        });
        using var malformed = await (await fiscus.AdminAsync()).SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/libraries")
        {
            Headers = { { "Accept", accept } },
            Content = Json.Raw("{"),
        });

        await unauthorized.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await forbidden.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await invalid.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await malformed.ExpectProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
    }

    [Fact]
    public async Task A_missing_body_is_400()
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Raw(""));

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "missing_body");
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_415()
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", new StringContent("library_id=X"));

        await response.ExpectProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task An_oversize_body_is_413_before_it_is_read()
    {
        var huge = $$"""{"library_id": "BIG", "name": "{{new string('a', 2 * 1024 * 1024)}}"}""";

        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Raw(huge));

        await response.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body_too_large");
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM libraries WHERE library_id = 'BIG'"));
    }

    [Theory]
    [InlineData("/api/v1/cash_registers?_page=abc", "_page")]
    [InlineData("/api/v1/cash_registers?_page=0", "_page")]
    [InlineData("/api/v1/cash_registers?_per_page=5000", "_per_page")]
    [InlineData("/api/v1/cash_registers?archived=maybe", "archived")]
    [InlineData("/api/v1/debit_types?can_be_sold=2", "can_be_sold")]
    public async Task Bad_query_parameters_are_400_naming_the_parameter(string url, string parameter)
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync(url);

        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains(parameter, body["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_routes_are_problem_404s()
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync("/api/v1/no_such_thing");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Wrong_methods_are_problem_405s()
    {
        using var response = await (await fiscus.AdminAsync()).DeleteAsync("/api/v1/libraries/MAIN");

        await response.ExpectProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task A_sale_that_finds_no_open_session_is_a_503_to_retry_and_writes_nothing()
    {
        // What three cash-ups committing while one sale waits would leave it seeing (or a session lost to a bad restore). The
        // database lets no session close without its cash-up (migration 0010), so the restore is played with its triggers off,
        // and undone the same way for the verifier.
        var register = await fiscus.RegisterAsync();
        const string Lose = "UPDATE register_sessions SET status = 'closed', counting_started_at = now(), closed_at = now() WHERE cash_register_id = @register AND status = 'open'";
        const string Restore = "UPDATE register_sessions SET status = 'open', counting_started_at = NULL, closed_at = NULL WHERE cash_register_id = @register";
        await fiscus.ScalarAsync<int>($"SET session_replication_role = replica; {Lose}; SET session_replication_role = origin; SELECT 1", new { register });
        var before = await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines");

        using var response = await (await fiscus.AdminAsync()).PostSaleAsync(register,
            new { debit_type = "PRINT", amount = 1.00m, description = "copies", payment_type = "CASH" });

        await response.ExpectProblemAsync(HttpStatusCode.ServiceUnavailable, "busy");
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        Assert.Equal(before, await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines"));
        await fiscus.ScalarAsync<int>($"SET session_replication_role = replica; {Restore}; SET session_replication_role = origin; SELECT 1", new { register });
    }

    [Fact]
    public async Task Contention_and_an_unreachable_database_are_503s_not_faults()
    {
        await using var connection = await fiscus.Db.OpenConnectionAsync();
        var serialization = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
            "DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure'; END $$"));
        var deadlock = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
            "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; END $$"));
        var fault = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
            "DO $$ BEGIN RAISE EXCEPTION 'some bug of ours' USING ERRCODE = 'feature_not_supported'; END $$"));
        // PostgreSQL calls these transient, but they can as well be our bugs: currval before nextval, a query too slow.
        var stateBug = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
            "CREATE TEMP SEQUENCE never_used; SELECT currval('never_used')"));
        var slow = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("SET statement_timeout = 50; SELECT pg_sleep(1)"));
        var commandTimeout = await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.ExecuteAsync("SELECT pg_sleep(3)", commandTimeout: 1));
        await using var nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Timeout=2");
        var unreachable = await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await nowhere.OpenConnectionAsync());
        await using var tiny = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fiscus.Db.ConnectionString) { MaxPoolSize = 1, Timeout = 1 }.ConnectionString);
        await using var held = await tiny.OpenConnectionAsync();
        var exhausted = await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await tiny.OpenConnectionAsync());

        Assert.Equal((503, "busy"), Status(serialization));
        Assert.Equal((503, "busy"), Status(deadlock));
        Assert.Equal((503, "database_unavailable"), Status(unreachable));
        Assert.Equal((503, "database_unavailable"), Status(exhausted));
        Assert.Equal((500, "internal_error"), Status(fault));
        Assert.Equal((500, "internal_error"), Status(stateBug));
        Assert.Equal((500, "internal_error"), Status(slow));
        Assert.Equal((500, "internal_error"), Status(commandTimeout));

        static (int, string) Status(Exception e) => RequestErrors.Describe(e) is var d ? (d.Status, d.Code) : default;
    }
}
