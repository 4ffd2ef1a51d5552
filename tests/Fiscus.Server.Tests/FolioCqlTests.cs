using Fiscus.Server.Dialects.Folio.Cql;

namespace Fiscus.Server.Tests;

/// <summary>CQL at <c>/payments</c>: FOLIO's matching rules against a real PostgreSQL, syntax errors with their column, and a fuzzer.</summary>
public sealed class FolioCqlTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>, IAsyncLifetime
{
    static readonly string OwnerA = "11111111-1111-4111-8111-111111111111";
    static readonly string OwnerB = "22222222-2222-4222-a222-222222222222";
    static readonly (string Name, string Owner, bool Refund)[] Methods =
    [
        ("Credit card", OwnerA, true),
        ("Crédit Agricole", OwnerA, true),
        ("Debit card", OwnerB, false),
        ("Cash drawer 2", OwnerB, true),
        ("100% voucher", OwnerA, false),
        ("under_score", OwnerB, true),
        ("Star*Pay", OwnerA, true),
    ];

    public async Task InitializeAsync()
    {
        if (await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types WHERE owner_id IS NOT NULL") > 0)
        {
            return;
        }
        var admin = await fiscus.AdminAsync();
        foreach (var (name, owner, refund) in Methods)
        {
            using var response = await admin.PostAsync("/payments",
                Json.Raw(new JsonObject { ["nameMethod"] = name, ["ownerId"] = owner, ["allowedRefundMethod"] = refund }.ToJsonString()));
            await response.ExpectAsync(HttpStatusCode.Created);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    async Task<string[]> NamesAsync(string cql)
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync("/payments?limit=100&query=" +
            Uri.EscapeDataString($"(ownerId=={OwnerA} or ownerId=={OwnerB}) and ({cql})"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{cql}: {(int)response.StatusCode} {text}");
        await FolioSchemas.AssertValidAsync(FolioSchemas.PaymentCollection, text);
        return JsonNode.Parse(text)!["payments"]!.AsArray().Select(p => p!["nameMethod"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();
    }

    [Theory]
    [InlineData("nameMethod==\"credit card\"", "Credit card")]
    [InlineData("nameMethod==\"CREDIT CARD\"", "Credit card")]
    [InlineData("nameMethod==credit*", "Credit card|Crédit Agricole")]
    [InlineData("nameMethod==\"credit agricole\"", "Crédit Agricole")]
    [InlineData("nameMethod==/respectAccents \"Crédit agricole\"", "Crédit Agricole")]
    [InlineData("nameMethod==/respectAccents \"Credit agricole\"", "")]
    [InlineData("nameMethod==/respectCase \"credit card\"", "")]
    [InlineData("nameMethod==/respectCase \"Credit card\"", "Credit card")]
    [InlineData("nameMethod==/respectCase/respectAccents \"Crédit Agricole\"", "Crédit Agricole")]
    [InlineData("nameMethod=card", "Credit card|Debit card")]
    [InlineData("nameMethod=\"card\"", "Credit card|Debit card")]
    [InlineData("nameMethod=car*", "Credit card|Debit card")]
    [InlineData("nameMethod=ca?d", "Credit card|Debit card")]
    [InlineData("nameMethod=\"drawer 2\"", "Cash drawer 2")]
    [InlineData("nameMethod=\"2 drawer\"", "")]
    [InlineData("nameMethod adj \"credit card\"", "Credit card")]
    [InlineData("nameMethod any \"debit agricole\"", "Crédit Agricole|Debit card")]
    [InlineData("nameMethod all \"card debit\"", "Debit card")]
    [InlineData("nameMethod==\"100% voucher\"", "100% voucher")]
    [InlineData("nameMethod==\"100%*\"", "100% voucher")]
    [InlineData("nameMethod==\"under_score\"", "under_score")]
    [InlineData("nameMethod==\"under?score\"", "under_score")]
    [InlineData("nameMethod==\"star\\*pay\"", "Star*Pay")]
    [InlineData("nameMethod==\"star*\"", "Star*Pay")]
    [InlineData("nameMethod<>\"credit card\" and nameMethod=card", "Debit card")]
    [InlineData("nameMethod<\"c\"", "100% voucher")]
    [InlineData("nameMethod>=\"u\"", "under_score")]
    [InlineData("allowedRefundMethod==false", "100% voucher|Debit card")]
    [InlineData("allowedRefundMethod<>true", "100% voucher|Debit card")]
    [InlineData("ownerId==22222222-2222-4222-a222-222222222222", "Cash drawer 2|Debit card|under_score")]
    [InlineData("ownerId=(22222222-2222-4222-a222-222222222222) and allowedRefundMethod=true", "Cash drawer 2|under_score")]
    [InlineData("ownerId==(11111111-1111-4111-8111-111111111111 or 33333333-3333-4333-8333-333333333333) and nameMethod=card", "Credit card")]
    [InlineData("ownerId==2222*", "Cash drawer 2|Debit card|under_score")]
    [InlineData("ownerId==not-a-uuid", "")]
    [InlineData("cql.allRecords=1 not nameMethod=card", "100% voucher|Cash drawer 2|Crédit Agricole|Star*Pay|under_score")]
    [InlineData("(nameMethod=card or nameMethod=voucher) and ownerId==11111111-1111-4111-8111-111111111111", "100% voucher|Credit card")]
    [InlineData("nameMethod=card or nameMethod=voucher and ownerId==11111111-1111-4111-8111-111111111111", "100% voucher|Credit card")]
    [InlineData("metadata.createdDate>2020-01-01 and nameMethod=drawer", "Cash drawer 2")]
    [InlineData("metadata.createdDate<2020-01-01T00:00:00Z", "")]
    [InlineData("metadata.createdByUsername==admin and nameMethod=debit", "Debit card")]
    [InlineData("nameMethod=*", "100% voucher|Cash drawer 2|Credit card|Crédit Agricole|Debit card|Star*Pay|under_score")]
    [InlineData("card", "Credit card|Debit card")]
    public async Task Queries_match_as_FOLIO_matches(string cql, string expected)
    {
        Assert.Equal(expected.Length == 0 ? [] : expected.Split('|').Order(StringComparer.Ordinal).ToArray(), await NamesAsync(cql));
    }

    async Task<(int Status, string[] Names)> UnscopedAsync(string cql)
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync("/payments?limit=1000&query=" + Uri.EscapeDataString(cql));
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return ((int)response.StatusCode, [text]);
        }
        await FolioSchemas.AssertValidAsync(FolioSchemas.PaymentCollection, text);
        return (200, JsonNode.Parse(text)!["payments"]!.AsArray().Select(p => p!["nameMethod"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task Records_without_the_field_follow_CQL2PgJSON()
    {
        // Cash, Card and Cash via SIP2 are Fiscus's own types: they have no owner.
        var all = (await UnscopedAsync("cql.allRecords=1")).Names;
        Assert.Contains("Cash", all);

        // "not" keeps what lacks the field (CQL2PgJSON: "IS NOT TRUE"), "=*" is every record, "=\"\"" what has the field.
        var notA = (await UnscopedAsync($"cql.allRecords=1 not ownerId=={OwnerA}")).Names;
        Assert.Contains("Cash", notA);
        Assert.Contains("Debit card", notA);
        Assert.DoesNotContain("Credit card", notA);
        Assert.Equal(all.Length - Methods.Count(m => m.Owner == OwnerA), notA.Length);
        Assert.Equal(all.Order(), (await UnscopedAsync("ownerId=*")).Names.Order());
        Assert.Equal(all.Order(), (await UnscopedAsync("allowedRefundMethod=*")).Names.Order());
        var owned = (await UnscopedAsync("ownerId=\"\"")).Names;
        Assert.DoesNotContain("Cash", owned);
        Assert.Contains("Credit card", owned);
        Assert.Empty((await UnscopedAsync("cql.allRecords=1 not ownerId=*")).Names);
    }

    [Theory]
    [InlineData("metadata.createdDate=9999-12-31")]
    [InlineData("metadata.updatedDate<>9999-12-31")]
    [InlineData("metadata.createdDate=0001-01-01")]
    [InlineData("metadata.createdDate>9999-12-31T23:59:59Z")]
    [InlineData("cql.allRecords=1 sortby nameMethod/number")]
    [InlineData("cql.allRecords=1 sortby nameMethod/sort.descending/string")]
    public async Task Edge_dates_and_sort_modifiers_FOLIO_accepts_are_answered(string cql)
    {
        Assert.Equal(200, (await UnscopedAsync(cql)).Status);
    }

    [Fact]
    public async Task Sortby_orders_ignoring_case_and_accents_in_either_direction()
    {
        async Task<string[]> Sorted(string sort)
        {
            using var response = await (await fiscus.AdminAsync()).GetAsync("/payments?limit=100&query=" +
                Uri.EscapeDataString($"ownerId=={OwnerA} sortby {sort}"));
            return (await response.ExpectAsync(HttpStatusCode.OK))["payments"]!.AsArray().Select(p => p!["nameMethod"]!.GetValue<string>()).ToArray();
        }
        // Folded: "100% voucher" < "credit agricole" < "credit card" < "star*pay".
        Assert.Equal(["100% voucher", "Crédit Agricole", "Credit card", "Star*Pay"], await Sorted("nameMethod"));
        Assert.Equal(["Star*Pay", "Credit card", "Crédit Agricole", "100% voucher"], await Sorted("nameMethod/sort.descending"));
        Assert.Equal(["100% voucher", "Crédit Agricole", "Credit card", "Star*Pay"], await Sorted("allowedRefundMethod nameMethod/sort.ascending"));
    }

    [Theory]
    [InlineData("", 1, "empty query")]
    [InlineData("nameMethod==", 13, "the query ends")]
    [InlineData("nameMethod==\"open", 13, "unterminated")]
    [InlineData("(nameMethod==cash", 18, "')'")]
    [InlineData("nameMethod==cash)", 17, "unexpected ')'")]
    [InlineData("nameMethod==cash and", 21, "the query ends")]
    [InlineData("colour==red", 1, "unknown index 'colour'")]
    [InlineData("nameMethod==cash sortby colour", 25, "unknown sort index")]
    [InlineData("nameMethod==cash sortby", 24, "sortby needs an index")]
    [InlineData("nameMethod==/frobnicate cash", 14, "unsupported modifier")]
    [InlineData("nameMethod within cash", 1, "unsupported relation")]
    [InlineData("allowedRefundMethod==maybe", 22, "not true or false")]
    [InlineData("metadata.createdDate>yesterday", 22, "not a date")]
    [InlineData("cql.allRecords=0", 16, "cql.allRecords only takes =1")]
    [InlineData("nameMethod==cash prox nameMethod==card", 18, "unsupported boolean")]
    [InlineData("nameMethod==()", 14, "unexpected ')'")]
    public void Bad_queries_name_the_column(string cql, int column, string message)
    {
        var fields = new[] { new CqlField("nameMethod", "pt.description", CqlFieldType.Text), new CqlField("allowedRefundMethod", "pt.allowed_refund", CqlFieldType.Boolean),
            new CqlField("metadata.createdDate", "pt.created_at", CqlFieldType.DateTime) };
        var error = Assert.Throws<CqlException>(() => CqlSql.Translate(cql, fields, "nameMethod", "pt.id"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(column, error.Column);
    }

    [Fact]
    public void Values_are_parameters_never_sql()
    {
        var fields = new[] { new CqlField("nameMethod", "pt.description", CqlFieldType.Text) };
        var query = CqlSql.Translate("nameMethod==\"x'; DROP TABLE payment_types; --\" or nameMethod=\"a' OR '1'='1\" sortby nameMethod",
            fields, "nameMethod", "pt.id");
        Assert.DoesNotContain("DROP", query.Where, StringComparison.Ordinal);
        Assert.DoesNotContain("'1'", query.Where, StringComparison.Ordinal);
        Assert.Equal(2, query.Parameters.ParameterNames.Count());
    }

    /// <summary>
    /// Random queries built from CQL's pieces, hostile strings and noise: every one is answered 200 or 400, never
    /// 500, and nothing is changed. The seed is fixed, so a failure replays.
    /// </summary>
    [Fact]
    public async Task Random_and_hostile_queries_never_fail_the_server()
    {
        string[] pieces =
        [
            "nameMethod", "ownerId", "id", "allowedRefundMethod", "metadata.createdDate", "metadata.createdByUsername", "cql.allRecords", "colour",
            "=", "==", "<>", "<", ">", "<=", ">=", "adj", "any", "all", "within", "and", "or", "not", "prox", "sortby", "(", ")", "/", "/respectCase",
            "/sort.descending", "\"", "\"cash\"", "\"a b c\"", "*", "?", "^", "\\", "\\*", "\"\\\"\"", "1", "true", "2024-01-01", OwnerA,
            "'; DROP TABLE payment_types; --", "' OR '1'='1", "$$", "\u0000", "%", "_", "\u00e9", "𝄞", "💳", "\t", "\n", "--", "/*", "*/", ";",
            "pg_sleep(10)", "::text", "E'\\\\'", "\\x00",
        ];
        var random = new Random(20261121);
        var before = await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types");
        var admin = await fiscus.AdminAsync();
        for (var i = 0; i < 400; i++)
        {
            var query = string.Join(random.Next(3) == 0 ? "" : " ", Enumerable.Range(0, random.Next(1, 9)).Select(_ => pieces[random.Next(pieces.Length)]));
            using var response = await admin.GetAsync("/payments?limit=5&query=" + Uri.EscapeDataString(query));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"query {query}: {(int)response.StatusCode} {text}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                await FolioSchemas.AssertValidAsync(FolioSchemas.PaymentCollection, text);
            }
            else
            {
                Assert.StartsWith("unable to list payments -- malformed parameter", text, StringComparison.Ordinal);
            }
        }
        Assert.Equal(before, await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types"));
    }

    [Fact]
    public async Task The_schema_validator_itself_rejects_what_FOLIO_would()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => FolioSchemas.AssertValidAsync(FolioSchemas.Payment, """{"nameMethod": "x", "colour": 1}"""));
        await Assert.ThrowsAnyAsync<Exception>(() => FolioSchemas.AssertValidAsync(FolioSchemas.Payment, """{"nameMethod": "x", "id": "0bab56e5-1ab6-0ac2-afdf-8b2df0434382"}"""));
        await Assert.ThrowsAnyAsync<Exception>(() => FolioSchemas.AssertValidAsync(FolioSchemas.Payment, """{"nameMethod": "x", "metadata": {"updatedDate": "2020-01-01T00:00:00Z"}}"""));
        await Assert.ThrowsAnyAsync<Exception>(() => FolioSchemas.AssertValidAsync(FolioSchemas.PaymentCollection, """{"payments": []}"""));
        await Assert.ThrowsAnyAsync<Exception>(() => FolioSchemas.AssertValidAsync(FolioSchemas.Errors, """{"errors": [{"type": "1"}]}"""));
        await FolioSchemas.AssertValidAsync(FolioSchemas.Payment, """{"nameMethod": "x", "id": "0bab56e5-1ab6-4ac2-afdf-8b2df0434382"}""");
    }
}
