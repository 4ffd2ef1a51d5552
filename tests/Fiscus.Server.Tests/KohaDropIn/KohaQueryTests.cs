using System.Globalization;
using System.Text.Json;

namespace Fiscus.Server.Tests.KohaDropIn;

/// <summary>
/// Koha's list conventions (Koha/REST/Plugin/Objects.pm and Query.pm, t/db_dependent/api/v1/*.t) on Fiscus's Koha-style
/// lists: q's operators and nesting, _match, _order_by, paging totals, unknown parameters refused in Koha's exact body, and
/// queries built to break the SQL answered with a 400 and nothing else.
/// </summary>
public sealed class KohaQueryTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    /// <summary>A patron with four debits: 1.00 MANUAL, 5.00 OVERDUE, 7.50 LOST, 12.25 MANUAL (d1..d4, in that order).</summary>
    async Task<(long Patron, long[] Debits)> FourDebitsAsync()
    {
        var patron = await fiscus.PatronAsync();
        var admin = await fiscus.AdminAsync();
        var debits = new List<long>();
        foreach (var (amount, type, description) in new[]
                 {
                     (1.00m, "MANUAL", "Photocopies café"), (5.00m, "OVERDUE", "Overdue: Dune"), (7.50m, "LOST", "Lost item; it's gone"),
                     (12.25m, "MANUAL", "Card replacement"),
                 })
        {
            using var response = await admin.PostAsync($"/api/v1/patrons/{patron}/account/debits", Json.Body(new { amount, type, description }));
            debits.Add((await response.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>());
        }
        return (patron, debits.ToArray());
    }

    static string Url(string path, params (string Name, string Value)[] query) =>
        path + "?" + string.Join("&", query.Select(q => $"{Uri.EscapeDataString(q.Name)}={Uri.EscapeDataString(q.Value)}"));

    static long[] Ids(JsonNode list, string key = "account_line_id") => list.AsArray().Select(l => l![key]!.GetValue<long>()).ToArray();

    static long[] Pick(long[] debits, string which) =>
        which.Length == 0 ? [] : which.Split(',').Select(i => debits[int.Parse(i, CultureInfo.InvariantCulture) - 1]).ToArray();

    public static TheoryData<string, string> Queries => new()
    {
        { """{"amount": {">": 5}}""", "3,4" },
        { """{"amount": {">=": 5}}""", "2,3,4" },
        { """{"amount": {"<": 5}}""", "1" },
        { """{"amount": {"<=": 5}}""", "1,2" },
        { """{"amount": {"!=": 5}}""", "1,3,4" },
        { """{"amount": {"<>": 5}}""", "1,3,4" },
        { """{"amount": 7.5}""", "3" },
        { """{"amount": "7.50"}""", "3" },
        { """{"amount": {"=": 12.25}}""", "4" },
        { """{"amount": {">": 1, "<": 10}}""", "2,3" },
        { """{"amount": {"-between": [5, 7.5]}}""", "2,3" },
        { """{"amount": {"-not_between": [5, 7.5]}}""", "1,4" },
        { """{"amount_outstanding": {">": 12}}""", "4" },
        { """{"type": "MANUAL"}""", "1,4" },
        { """{"type": {"-in": ["OVERDUE", "LOST"]}}""", "2,3" },
        { """{"type": {"in": ["OVERDUE", "LOST"]}}""", "2,3" },
        { """{"type": {"-not_in": ["OVERDUE", "LOST"]}}""", "1,4" },
        { """{"type": {"-in": []}}""", "" },
        { """{"type": ["OVERDUE", "LOST"]}""", "2,3" },
        { """{"description": {"-like": "%dune%"}}""", "2" },
        { """{"description": {"like": "CARD%"}}""", "4" },
        { """{"description": {"-not_like": "%;%"}}""", "1,2,4" },
        { """{"description": {"not like": "%;%"}}""", "1,2,4" },
        { """{"description": "photocopies CAFÉ"}""", "1" },
        { """{"description": "Lost item; it's gone"}""", "3" },
        { """{"me.amount": {">": 10}}""", "4" },
        { """{"-or": [{"type": "LOST"}, {"amount": {"<": 2}}]}""", "1,3" },
        { """{"-or": {"type": "LOST", "amount": 1}}""", "1,3" },
        { """{"-and": [{"type": "MANUAL"}, {"amount": {">": 2}}]}""", "4" },
        { """{"-and": {"type": "MANUAL", "amount": {"<": 2}}}""", "1" },
        { """{"-or": [{"-and": [{"type": "MANUAL"}, {"amount": {">": 10}}]}, {"type": "OVERDUE"}]}""", "2,4" },
        { """[{"type": "LOST"}, {"type": "OVERDUE"}]""", "2,3" },
        { """{"-not": {"type": "MANUAL"}}""", "2,3" },
        { """{"amount": ["-and", {">": 1}, {"<": 7}]}""", "2" },
        { """{"item_id": null}""", "1,2,3,4" },
        { """{"checkout_id": null}""", "1,2,3,4" },
        { """{"description": {"!=": null}}""", "1,2,3,4" },
        { """{"cash_register_id": {"=": null}}""", "1,2,3,4" },
        { """{"date": {">=": "2000-01-01"}}""", "1,2,3,4" },
        { """{"timestamp": {"<": "2000-01-01T00:00:00Z"}}""", "" },
        { """{"interface": "api", "patron_id": {"!=": null}}""", "1,2,3,4" },
        { """{"patron_id": "$patron"}""", "1,2,3,4" },
        { """{"account_line_id": {"-in": [$d1, $d3]}}""", "1,3" },
        { """{"account_line_id": {">": "$d2"}}""", "3,4" },
        { """{}""", "1,2,3,4" },
        { """[]""", "1,2,3,4" },
        { """{"-or": [], "type": "LOST"}""", "3" },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task q_filters_a_patrons_debits_as_Koha_clients_write_it(string q, string expected)
    {
        var (patron, debits) = await FourDebitsAsync();
        q = q.Replace("$patron", patron.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        for (var i = 0; i < debits.Length; i++)
        {
            q = q.Replace($"$d{i + 1}", debits[i].ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        var admin = await fiscus.AdminAsync();

        using var response = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("q", q)));

        var want = Pick(debits, expected);
        Assert.Equal(want, Ids(await response.ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal(want.Length.ToString(CultureInfo.InvariantCulture), response.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal("4", response.Headers.GetValues("X-Base-Total-Count").Single());
    }

    [Fact]
    public async Task Several_q_and_the_x_koha_query_header_must_all_hold()
    {
        var (patron, debits) = await FourDebitsAsync();
        var request = new HttpRequestMessage(HttpMethod.Get,
            Url($"/api/v1/patrons/{patron}/account/debits", ("q", """{"amount": {">": 1}}"""), ("q", """{"amount": {"<": 12}}""")));
        request.Headers.Add("x-koha-query", """{"type": "OVERDUE"}""");

        using var response = await (await fiscus.AdminAsync()).SendAsync(request);

        Assert.Equal([debits[1]], Ids(await response.ExpectAsync(HttpStatusCode.OK)));
    }

    [Fact]
    public async Task Credits_are_queried_by_Koha_credit_names_amounts_negative()
    {
        var patron = await fiscus.PatronAsync();
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();
        await fiscus.DebitAsync(patron, 20m);
        var credits = new List<long>();
        foreach (var (amount, paymentType) in new[] { (3m, "CASH"), (4m, "CARD") })
        {
            using var paid = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                Json.Body(new { amount, payment_type = paymentType, cash_register_id = register }));
            credits.Add((await paid.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>());
        }

        using var byPaymentType = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/credits", ("q", """{"payment_type": "CARD", "type": "PAYMENT"}""")));
        using var byAmount = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/credits", ("q", """{"amount": {"<": -3.5}}""")));
        using var payoutTypeIsADebitField = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/credits", ("q", """{"payout_type": "CASH"}""")));

        Assert.Equal([credits[1]], Ids(await byPaymentType.ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal([credits[1]], Ids(await byAmount.ExpectAsync(HttpStatusCode.OK)));
        var refused = await payoutTypeIsADebitField.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_query");
        Assert.Contains("payment_type", refused["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadQueries => new()
    {
        // What is wrong, and a word the message must contain to teach the fix.
        { """{"amout": 5}""", "did you mean 'amount'" },
        { """{"me.amout": 5}""", "account_line_id, amount, amount_outstanding" },
        { """{"amount": {"-ident": "amount_outstanding"}}""", "-in" },
        { """{"amount": {"-value": 1}}""", "-like" },
        { """{"-foo": 1}""", "-and" },
        { """{"amount": "five"}""", "amount in major units" },
        { """{"amount": 1.001}""", "amount in major units" },
        { """{"amount": 1e400}""", "amount in major units" },
        { """{"account_line_id": 1.5}""", "whole number" },
        { """{"amount": true}""", "amount in major units" },
        { """{"type": {"-like": 5}}""", "pattern" },
        { """{"amount": {"-like": "5%"}}""", "use =" },
        { """{"type": {"-like": "MAN\\"}}""", "backslash" },
        { """{"amount": {">": [1, 2]}}""", "-in" },
        { """{"amount": {">": {"<": 1}}}""", "-in" },
        { """{"amount": {">": null}}""", "null" },
        { """{"amount": {"-in": 5}}""", "array" },
        { """{"amount": {"-in": [null]}}""", "null" },
        { """{"amount": {"-between": [1]}}""", "[low, high]" },
        { """{"-bool": "amount"}""", "true/false field" },
        { """{"-or": "type"}""", "array or an object" },
        { """{"-and": 5}""", "object or an array" },
        { """{"date": {">": "yesterday"}}""", "ISO 8601" },
        { """{"date": {">": 20260301}}""", "ISO 8601" },
        { """{"description": "a\u0000b"}""", "NUL" },
        { "not json", "not valid JSON" },
        { "{\"amount\": ", "not valid JSON" },
        { "\"amount\"", "JSON object" },
        { "5", "JSON object" },
        { "[[[1]]]", "object or an array" },
        { """{"amount\"; DROP TABLE account_lines; --": 1}""", "not a field of debit" },
        { """{"amount) OR (1=1": 1}""", "not a field of debit" },
        { """{"amöunt": 1}""", "did you mean 'amount'" },
        { """{"": 1}""", "not a field of debit" },
        { """{"amount": {"": 1}}""", "not an operator" },
        { """{"amount": {"-": 1}}""", "not an operator" },
        { """{"amount": {"; DROP TABLE x": 1}}""", "not an operator" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_bad_q_is_a_400_invalid_query_that_says_what_to_do(string q, string teaches)
    {
        var (patron, _) = await FourDebitsAsync();

        using var response = await (await fiscus.AdminAsync()).GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("q", q)));

        var body = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_query");
        Assert.Equal("invalid_query", body["error_code"]!.GetValue<string>());
        Assert.Contains(teaches, body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        var error = Assert.Single(body["errors"]!.AsArray())!;
        Assert.Equal("/q", error["path"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        // Nothing of the SQL behind the list leaks into the answer.
        Assert.DoesNotContain("amount_minor", body.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("l.patron_id", body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(4, await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
    }

    [Fact]
    public async Task Too_deep_or_too_large_a_q_is_refused()
    {
        var (patron, _) = await FourDebitsAsync();
        var admin = await fiscus.AdminAsync();
        var deep = string.Concat(Enumerable.Repeat("{\"-and\": [", 20)) + "{\"type\": \"LOST\"}" + string.Concat(Enumerable.Repeat("]}", 20));
        var wide = "{\"account_line_id\": {\"-in\": [" + string.Join(",", Enumerable.Range(1, 1001)) + "]}}";
        var many = "{\"-or\": [" + string.Join(",", Enumerable.Range(1, 200).Select(i => $"{{\"amount\": {i}}}")) + "]}";

        foreach (var (q, teaches) in new[] { (deep, "nests too deep"), (wide, "at most 1000 values"), (many, "more than 500 conditions") })
        {
            using var response = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("q", q)));
            var body = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_query");
            Assert.Contains(teaches, body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        var tooLong = new string(' ', 8001);
        using var longResponse = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("q", "{" + tooLong + "}")));
        await longResponse.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_query");
    }

    [Fact]
    public async Task Values_built_to_break_the_SQL_are_only_values()
    {
        var (patron, debits) = await FourDebitsAsync();
        var admin = await fiscus.AdminAsync();

        foreach (var value in new[] { "x'); DROP TABLE account_lines; --", "' OR '1'='1", "\\'; SELECT pg_sleep(5); --", "💳; DELETE", "%' OR 1=1 --" })
        {
            var q = JsonSerializer.Serialize(new Dictionary<string, object> { ["description"] = value, ["-or"] = new[] { new { type = value } } });
            using var response = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("q", q)));
            Assert.Empty((await response.ExpectAsync(HttpStatusCode.OK)).AsArray());
            using var like = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("q", JsonSerializer.Serialize(new { description = new Dictionary<string, string> { ["-like"] = value } }))));
            Assert.Empty((await like.ExpectAsync(HttpStatusCode.OK)).AsArray());
        }
        using var semicolon = await admin.GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("q", """{"description": {"-like": "%; it's%"}}""")));
        Assert.Equal([debits[2]], Ids(await semicolon.ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal(4, await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
    }

    public static TheoryData<string, string> Orders => new()
    {
        { "-amount", "4,3,2,1" },
        { "+amount", "1,2,3,4" },
        { "amount", "1,2,3,4" },
        { "me.amount", "1,2,3,4" },
        { "-me.amount", "4,3,2,1" },
        { "type,-amount", "3,4,1,2" },
        { "+type,-amount", "3,4,1,2" },
        { "-type", "2,1,4,3" },
        { "-description", "1,2,3,4" },
        { "description", "4,3,2,1" },
        { "item_id,-account_line_id", "4,3,2,1" },
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task _order_by_takes_plus_minus_and_several_fields_the_key_breaking_ties(string orderBy, string expected)
    {
        var (patron, debits) = await FourDebitsAsync();

        using var response = await (await fiscus.AdminAsync()).GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("_order_by", orderBy)));

        Assert.Equal(Pick(debits, expected), Ids(await response.ExpectAsync(HttpStatusCode.OK)));
    }

    [Fact]
    public async Task _order_by_repeated_and_unescaped_plus_work_as_in_Koha()
    {
        var (patron, debits) = await FourDebitsAsync();
        var admin = await fiscus.AdminAsync();

        // A URL's bare + is a space once decoded: Koha reads " type" as ascending.
        using var repeated = await admin.GetAsync($"/api/v1/patrons/{patron}/account/debits?_order_by=+type&_order_by=-amount");
        using var csv = await admin.GetAsync($"/api/v1/patrons/{patron}/account/debits?_order_by=%2Btype,-amount");

        Assert.Equal(Pick(debits, "3,4,1,2"), Ids(await repeated.ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal(Pick(debits, "3,4,1,2"), Ids(await csv.ExpectAsync(HttpStatusCode.OK)));
    }

    [Fact]
    public async Task _order_by_an_unknown_field_is_a_400_suggesting_the_nearest()
    {
        var (patron, _) = await FourDebitsAsync();

        using var response = await (await fiscus.AdminAsync()).GetAsync(Url($"/api/v1/patrons/{patron}/account/debits", ("_order_by", "-amout")));

        var body = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_query");
        Assert.Contains("did you mean 'amount'", body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("/_order_by", body["errors"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pages_ordered_by_a_field_with_ties_neither_skip_nor_repeat_rows()
    {
        var (patron, debits) = await FourDebitsAsync();
        var admin = await fiscus.AdminAsync();
        var seen = new List<long>();

        for (var page = 1; page <= 4; page++)
        {
            using var response = await admin.GetAsync($"/api/v1/patrons/{patron}/account/debits?_order_by=interface&_per_page=1&_page={page}");
            seen.AddRange(Ids(await response.ExpectAsync(HttpStatusCode.OK)));
            Assert.Equal("4", response.Headers.GetValues("X-Total-Count").Single());
        }

        Assert.Equal(debits.Order(), seen.Order());
    }

    [Fact]
    public async Task Paging_totals_and_links_follow_the_filtered_list()
    {
        var (patron, debits) = await FourDebitsAsync();
        var request = new HttpRequestMessage(HttpMethod.Get,
            Url($"/api/v1/patrons/{patron}/account/debits", ("q", """{"amount": {">": 1}}"""), ("_order_by", "-amount"), ("_per_page", "2"), ("_page", "2")));
        request.Headers.Add("x-koha-request-id", "17");

        using var response = await (await fiscus.AdminAsync()).SendAsync(request);

        Assert.Equal([debits[1]], Ids(await response.ExpectAsync(HttpStatusCode.OK)));
        Assert.Equal("3", response.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal("4", response.Headers.GetValues("X-Base-Total-Count").Single());
        Assert.Equal("17", response.Headers.GetValues("x-koha-request-id").Single());
        var link = string.Join(",", response.Headers.GetValues("Link"));
        Assert.Contains("_page=1&_per_page=2>; rel=\"prev\"", link, StringComparison.Ordinal);
        Assert.Contains("_page=2&_per_page=2>; rel=\"last\"", link, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"next\"", link, StringComparison.Ordinal);
        Assert.Contains("q=", link, StringComparison.Ordinal);
    }

    public static TheoryData<string?, string> Matches => new()
    {
        // Koha's objects.t cities (Manuel, Manuela, Manuelab, Emanuel), as surnames behind a prefix unique to the test.
        { "contains", "A,B,C,D" },
        { "starts_with", "A,B,C" },
        { "ends_with", "A,D" },
        { "exact", "A" },
        { null, "A,B,C" },
    };

    [Theory]
    [MemberData(nameof(Matches))]
    public async Task _match_decides_how_a_field_filter_compares_ignoring_case(string? match, string expected)
    {
        var token = fiscus.Unique("kq");
        var admin = await fiscus.AdminAsync();
        var ids = new Dictionary<string, long>();
        foreach (var (key, surname) in new[] { ("A", $"{token}Manuel"), ("B", $"{token}Manuela"), ("C", $"{token}Manuelab"), ("D", $"E{token}Manuel") })
        {
            using var created = await admin.PostAsync("/api/v1/patrons", Json.Body(new { cardnumber = fiscus.Unique("kqcard"), surname, library_id = "MAIN" }));
            ids[key] = (await created.ExpectAsync(HttpStatusCode.Created))["patron_id"]!.GetValue<long>();
        }
        var query = new List<(string, string)> { ("surname", $"{token}MANUEL".ToLowerInvariant()), ("_per_page", "100") };
        if (match is not null)
        {
            query.Add(("_match", match));
        }

        using var response = await admin.GetAsync(Url("/api/v1/patrons", [.. query]));

        Assert.Equal(expected.Split(',').Select(k => ids[k]), Ids(await response.ExpectAsync(HttpStatusCode.OK), "patron_id"));
        Assert.True(long.Parse(response.Headers.GetValues("X-Base-Total-Count").Single(), CultureInfo.InvariantCulture) >= 4);
    }

    [Fact]
    public async Task A_match_outside_Kohas_enum_and_a_bad_boolean_filter_are_Koha_validation_400s()
    {
        var admin = await fiscus.AdminAsync();

        using var match = await admin.GetAsync("/api/v1/patrons?surname=x&_match=fuzzy");
        using var archived = await admin.GetAsync("/api/v1/cash_registers?archived=maybe");

        var matchError = (await match.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_query"))["errors"]![0]!;
        Assert.Equal("/_match", matchError["path"]!.GetValue<string>());
        Assert.Equal("Not in enum list: contains, exact, starts_with, ends_with.", matchError["message"]!.GetValue<string>());
        var archivedError = (await archived.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_query"))["errors"]![0]!;
        Assert.Equal("/archived", archivedError["path"]!.GetValue<string>());
        Assert.Equal("Expected boolean - got string.", archivedError["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cashups_t_an_unsupported_query_parameter_is_Kohas_400_even_before_the_register_is_looked_up()
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();

        using var response = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups?cashup_blah=blah");
        using var missing = await admin.GetAsync("/api/v1/cash_registers/999999/cashups?cashup_blah=blah");

        foreach (var answer in new[] { response, missing })
        {
            var body = await answer.ExpectAsync(HttpStatusCode.BadRequest);
            Assert.Equal("""[{"path":"/query/cashup_blah","message":"Malformed query string"}]""", body.ToJsonString());
            Assert.Equal("application/json", answer.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task A_bad_q_on_a_missing_register_is_its_404_first_as_Kohas_controller_looks_it_up_before_searching()
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync(Url("/api/v1/cash_registers/999999/cashups", ("q", "{\"nope\": 1}")));

        await response.ExpectAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Cashups_list_newest_first_and_answer_q_and_order()
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();
        using var empty = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups");
        Assert.Empty((await empty.ExpectAsync(HttpStatusCode.OK)).AsArray());
        async Task<long> SellAndCashUpAsync(decimal amount)
        {
            await fiscus.SellAsync(register, amount);
            var cashup = await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = amount } } });
            return cashup["cashup_id"]!.GetValue<long>();
        }
        var first = await SellAndCashUpAsync(1.00m);
        var second = await SellAndCashUpAsync(2.00m);

        using var list = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups");
        using var oldest = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups?_order_by=%2Bcashup_id");
        using var one = await admin.GetAsync(Url($"/api/v1/cash_registers/{register}/cashups", ("q", $"{{\"cashup_id\": {first}, \"cash_register_id\": {register}}}")));
        using var today = await admin.GetAsync(Url($"/api/v1/cash_registers/{register}/cashups", ("q", """{"timestamp": {">": "2000-01-01T00:00:00+02:00"}, "amount": {">=": 0}}""")));
        using var larger = await admin.GetAsync(Url($"/api/v1/cash_registers/{register}/cashups", ("q", """{"amount": {">": 1.5}}""")));

        Assert.Equal([second, first], Ids(await list.ExpectAsync(HttpStatusCode.OK), "cashup_id"));
        Assert.Equal([first, second], Ids(await oldest.ExpectAsync(HttpStatusCode.OK), "cashup_id"));
        Assert.Equal([first], Ids(await one.ExpectAsync(HttpStatusCode.OK), "cashup_id"));
        Assert.Equal([second, first], Ids(await today.ExpectAsync(HttpStatusCode.OK), "cashup_id"));
        Assert.Equal([second], Ids(await larger.ExpectAsync(HttpStatusCode.OK), "cashup_id"));
    }

    public static TheoryData<string> Lists => new()
    {
        "/api/v1/patrons/$patron/account/debits", "/api/v1/patrons/$patron/account/credits", "/api/v1/cash_registers",
        "/api/v1/cash_registers/$register/cashups", "/api/v1/cash_registers/$register/sales", "/api/v1/patrons", "/api/v1/libraries",
        "/api/v1/debit_types", "/api/v1/credit_types", "/api/v1/payment_types", "/api/v1/clients", "/api/v1/users", "/api/v1/sip_logins",
        "/api/v1/fee_fine_owners",
    };

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task Every_list_refuses_a_parameter_it_does_not_declare_in_Kohas_shape(string path)
    {
        var patron = await fiscus.PatronAsync();
        var register = await fiscus.RegisterAsync();
        path = path.Replace("$patron", patron.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("$register", register.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var admin = await fiscus.AdminAsync();

        using var fine = await admin.GetAsync(path + "?_page=1&_per_page=5");
        using var typo = await admin.GetAsync(path + "?_per_page=5&_pgae=2&zz%27%3B=1");
        using var upper = await admin.GetAsync(path + "?_PAGE=2");
        // Koha's same check refuses a page of no rows, in the same list after the unknown parameters.
        using var none = await admin.GetAsync(path + "?_per_page=0");
        using var noneAndTypo = await admin.GetAsync(path + "?_per_page=0&_pgae=2");

        await fine.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("""[{"path":"/query/_pgae","message":"Malformed query string"},{"path":"/query/zz';","message":"Malformed query string"}]""",
            (await typo.ExpectAsync(HttpStatusCode.BadRequest)).ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.Equal("/query/_PAGE", (await upper.ExpectAsync(HttpStatusCode.BadRequest))[0]!["path"]!.GetValue<string>());
        Assert.Equal("""[{"path":"/query/_per_page","message":"Invalid value: 0"}]""", (await none.ExpectAsync(HttpStatusCode.BadRequest)).ToJsonString());
        Assert.Equal("""[{"path":"/query/_pgae","message":"Malformed query string"},{"path":"/query/_per_page","message":"Invalid value: 0"}]""",
            (await noneAndTypo.ExpectAsync(HttpStatusCode.BadRequest)).ToJsonString());
    }

    [Fact]
    public async Task An_unknown_parameter_waits_for_authentication_and_permission_first()
    {
        var register = await fiscus.RegisterAsync();
        var client = await fiscus.ClientAsync(["payments:write"]);

        using var anonymous = await fiscus.Anonymous().GetAsync($"/api/v1/cash_registers/{register}/cashups?cashup_blah=blah");
        using var forbidden = await client.Http.GetAsync($"/api/v1/cash_registers/{register}/cashups?cashup_blah=blah");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Fact]
    public async Task Registers_sales_and_types_answer_q_and_order_over_their_own_fields()
    {
        var admin = await fiscus.AdminAsync();
        var token = fiscus.Unique("KQ");
        var registers = new List<int>();
        foreach (var name in new[] { $"{token} b", $"{token} a" })
        {
            using var created = await admin.PostAsync("/api/v1/cash_registers", Json.Body(new { name, library_id = "MAIN", starting_float = 5m }));
            registers.Add((await created.ExpectAsync(HttpStatusCode.Created))["cash_register_id"]!.GetValue<int>());
        }
        await fiscus.SellAsync(registers[0], 1.50m);
        await fiscus.SellAsync(registers[0], 3.00m);

        using var byName = await admin.GetAsync(Url("/api/v1/cash_registers", ("q", $"{{\"name\": {{\"-like\": \"{token.ToLowerInvariant()} %\"}}, \"starting_float\": 5}}"), ("_order_by", "name")));
        using var sales = await admin.GetAsync(Url($"/api/v1/cash_registers/{registers[0]}/sales", ("q", """{"total": {">": 2}, "payment_type": "CASH"}""")));
        using var allSales = await admin.GetAsync(Url($"/api/v1/cash_registers/{registers[0]}/sales", ("_order_by", "+total")));
        using var types = await admin.GetAsync(Url("/api/v1/debit_types", ("q", """{"code": {"-in": ["LOST", "OVERDUE"]}}"""), ("_order_by", "-code")));
        using var archivedFilter = await admin.GetAsync(Url("/api/v1/payment_types", ("archived", "false"), ("q", """{"code": "CASH"}""")));

        Assert.Equal([registers[1], registers[0]], Ids(await byName.ExpectAsync(HttpStatusCode.OK), "cash_register_id"));
        Assert.Equal([3.00m], (await sales.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(s => s!.Money("total")));
        Assert.Equal([1.50m, 3.00m], (await allSales.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(s => s!.Money("total")));
        Assert.Equal(["OVERDUE", "LOST"], (await types.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(t => t!["code"]!.GetValue<string>()));
        Assert.Equal(["CASH"], (await archivedFilter.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(t => t!["code"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Reports_refuse_a_parameter_they_do_not_read()
    {
        var admin = await fiscus.AdminAsync();

        using var daily = await admin.GetAsync("/api/v1/reports/daily?library_id=MAIN&dat=2026-03-01");
        using var range = await admin.GetAsync("/api/v1/reports/cash_drawer_reconciliation?from=2026-03-01&form=csv");
        using var fine = await admin.GetAsync("/api/v1/reports/income_by_day?from=2026-03-01&to=2026-03-02&format=csv");

        Assert.Contains("date", (await daily.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_parameter"))["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull((await range.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_parameter"))["errors"]!["form"]);
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }
}
