using Fiscus.Ledger;
using Fiscus.Ledger.Accounts;

namespace Fiscus.Server.Tests;

/// <summary>
/// Errors that teach: a misspelt field names the one meant, an unknown payment, debit or credit type lists the codes
/// that would do, and the shifts dialect says its amounts are integer minor units. One row per message.
/// </summary>
public sealed class TeachingErrorsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    /// <summary>Path ({patron} and {register} filled in), body, code, field, what the message says, what it must not say.</summary>
    public static TheoryData<string, string, string, string, string, string?> NativeRows => new()
    {
        // Unknown fields: the nearest known one of the type being bound (its JSON names), or nothing when none is close.
        { "/api/v1/libraries", """{"libary_id": "X", "name": "x"}""", "unknown_field", "libary_id", "Unknown field 'libary_id'. Did you mean 'library_id'?", null },
        { "/api/v1/libraries", """{"libraryId": "X", "name": "x"}""", "unknown_field", "libraryId", "Did you mean 'library_id'?", null },
        { "/api/v1/libraries", """{"library_id": "X", "name": "x", "colour": "red"}""", "unknown_field", "colour", "Unknown field 'colour'.", "Did you mean" },
        { "/api/v1/cash_registers", """{"name": "Desk", "library_id": "MAIN", "starting_flaot": 1}""", "unknown_field", "starting_flaot", "Did you mean 'starting_float'?", null },
        { "/api/v1/patrons/{patron}/account/payments", """{"debit_type": "PRINT", "amout": 1, "payment_type": "CARD"}""", "unknown_field", "amout", "Did you mean 'amount'?", null },
        { "/api/v1/patrons/{patron}/account/payments", """{"debit_type": "PRINT", "amount": 1, "paymentType": "CARD"}""", "unknown_field", "paymentType", "Did you mean 'payment_type'?", null },
        // A nested type's own names.
        { "/api/v1/cash_registers/{register}/cashups", """{"reconciliations": [{"payment_tpye": "CASH", "counted": 0}]}""", "unknown_field", "reconciliations[0].payment_tpye", "Did you mean 'payment_type'?", null },
        // Unknown types: the nearest code, then the codes in use (never an archived or a reserved one).
        { "/api/v1/patrons/{patron}/account/payments", """{"debit_type": "PRINT", "amount": 1, "payment_type": "CRAD"}""", "unknown_payment_type", "payment_type", "payment_type 'CRAD' is not a payment type. Did you mean 'CARD'? Valid codes: ", "ARCHIVED_PT" },
        { "/api/v1/patrons/{patron}/account/payments", """{"debit_type": "PRINT", "amount": 1, "payment_type": "BITCOIN"}""", "unknown_payment_type", "payment_type", "Valid codes: ", "Did you mean" },
        { "/api/v1/patrons/{patron}/account/payments", """{"debit_type": "PRNIT", "amount": 1, "payment_type": "CARD"}""", "unknown_debit_type", "debit_type", "debit_type 'PRNIT' is not a debit type. Did you mean 'PRINT'? Valid codes: ", "VOID" },
        { "/api/v1/patrons/{patron}/account/debits", """{"amount": 1, "type": "MANULA"}""", "unknown_debit_type", "type", "Did you mean 'MANUAL'?", "CASHUP_DEFICIT" },
        { "/api/v1/cash_registers/{register}/sales", """{"debit_type": "COPPY", "amount": 1, "payment_type": "CARD"}""", "unknown_debit_type", "debit_type", "Did you mean 'COPY'?", null },
        { "/api/v1/cash_registers/{register}/sales", """{"debit_type": "COPY", "amount": 1, "payment_type": "CHASH"}""", "unknown_payment_type", "payment_type", "Did you mean 'CASH'?", null },
        // A count of a payment type the register does not take: the types to count.
        { "/api/v1/cash_registers/{register}/cashups", """{"reconciliations": [{"payment_type": "CASHH", "counted": 0}]}""", "validation_failed", "reconciliations[0].payment_type", "Did you mean 'CASH'? Payment types to count: ", null },
        // A whole-number field elsewhere says so, without the shifts dialect's words.
        { "/api/v1/shifts/start", """{"start_cash": 0, "password": "x", "cash_register_id": 1.5}""", "invalid_type", "cash_register_id", "Field 'cash_register_id' must be a whole number", "minor units" },
    };

    [Theory]
    [MemberData(nameof(NativeRows))]
    public async Task A_refusal_says_what_would_have_done(string path, string body, string code, string field, string says, string? notSays)
    {
        var admin = await fiscus.AdminAsync();
        await ArchivedPaymentTypeAsync(admin);
        var register = await fiscus.RegisterAsync();
        if (path.EndsWith("/cashups", StringComparison.Ordinal))
        {
            await fiscus.SellAsync(register, 1m); // a session with nothing taken has nothing to count
        }
        path = path.Replace("{patron}", (await fiscus.PatronAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{register}", register.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var client = path.StartsWith("/api/v1/shifts", StringComparison.Ordinal) ? (await fiscus.StaffAsync("cashier")).Http : admin;

        using var response = await client.PostAsync(path, Json.Raw(body));

        var answer = await response.ExpectAsync(HttpStatusCode.BadRequest);
        // The shifts dialect's envelope: {message, error: code, data: {errors}}; the native one is problem+json, whose
        // detail is the message (Koha's account routes put Koha's own words in error and keep Fiscus's in detail).
        var (message, actualCode, errors) = path.StartsWith("/api/v1/shifts", StringComparison.Ordinal)
            ? (answer["message"]!.GetValue<string>(), answer["error"]!.GetValue<string>(), answer["data"]!["errors"]!)
            : (answer["detail"]!.GetValue<string>(), answer["code"]!.GetValue<string>(), answer["errors"]!);
        Assert.Equal(code, actualCode);
        Assert.Contains(says, message, StringComparison.Ordinal);
        Assert.NotNull(errors[field]);
        if (notSays is not null)
        {
            Assert.DoesNotContain(notSays, message, StringComparison.Ordinal);
        }
        if (says.Contains("Valid codes", StringComparison.Ordinal))
        {
            // The list is the codes as they stand: a type added now is in the next answer.
            var added = fiscus.Unique("NEWPT");
            using (var made = await admin.PostAsync("/api/v1/payment_types", Json.Body(new { code = added, description = added })))
            {
                await made.ExpectAsync(HttpStatusCode.Created);
            }
            using var again = await client.PostAsync(path, Json.Raw(body));
            var listed = (await again.ExpectAsync(HttpStatusCode.BadRequest))["error"]!.GetValue<string>();
            Assert.Equal(message.Contains("payment type", StringComparison.Ordinal), listed.Contains(added, StringComparison.Ordinal));
        }
    }

    /// <summary>POS Kasir's amounts are whole minor units: a decimal, a fraction or a string there is refused saying so.</summary>
    public static TheoryData<string, string, string> ShiftRows => new()
    {
        { "/api/v1/shifts/start", """{"start_cash": 100.50, "password": "x"}""", "start_cash" },
        { "/api/v1/shifts/start", """{"start_cash": "10050", "password": "x"}""", "start_cash" },
        { "/api/v1/shifts/cash-transaction", """{"type": "cash_in", "amount": 10.5, "category": "other"}""", "amount" },
        { "/api/v1/shifts/cash-transaction", """{"type": "cash_in", "amount": "1050", "category": "other"}""", "amount" },
        { "/api/v1/shifts/cash-transaction", """{"type": "cash_in", "amount": 1e30, "category": "other"}""", "amount" },
        { "/api/v1/shifts/end", """{"password": "x", "actual_cash_end": "100.00"}""", "actual_cash_end" },
    };

    [Theory]
    [MemberData(nameof(ShiftRows))]
    public async Task The_shifts_dialect_says_amounts_are_integer_minor_units(string path, string body, string field)
    {
        var cashier = (await fiscus.StaffAsync("cashier")).Http;

        using var response = await cashier.PostAsync(path, Json.Raw(body));

        var answer = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("invalid_type", answer["error"]!.GetValue<string>());
        var expected = $"Field '{field}' must be an integer number of minor units (1050 for 10.50)";
        Assert.StartsWith(expected, answer["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith(expected, answer["data"]!["errors"]![field]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16, "PatronPaymentMethod 16 is not mapped to a payment type (FISCUS_POLARIS_PAYMENT_METHODS). Mapped methods: 11 (CASH), 12 (CARD), 13 (CARD).")]
    public async Task Polaris_names_the_mapped_payment_methods(int method, string message)
    {
        var patron = await fiscus.PatronAsync();
        var charge = (await fiscus.DebitAsync(patron, 2m))["account_line_id"]!.GetValue<long>();

        using var response = await (await fiscus.StaffAsync("cashier")).Http.PutAsync(
            $"/polaris/api/v1/patrons/{patron}/accounttransactions/finesfees?action=pay&reload=false&overpayment=false",
            new StringContent($$"""{ TxnAmount: 1, PatronPaymentMethod: {{method}}, MainTxnIDs: [{{charge}}] }""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(message, (await response.ExpectAsync(HttpStatusCode.BadRequest))["Message"]!.GetValue<string>());
    }

    /// <summary>The ledger's checks themselves, whatever a transport calls its field: credit types included, reserved ones only when allowed.</summary>
    [Theory]
    [InlineData("credit", "FORGVEN", false, "Did you mean 'FORGIVEN'?", "REFUND")]
    [InlineData("credit", "REFUNDD", true, "Did you mean 'REFUND'?", null)]
    [InlineData("credit", "XYZZY", false, "Valid codes: ", "Did you mean")]
    [InlineData("debit", "OVREDUE", false, "Did you mean 'OVERDUE'?", "PAID_OUT")]
    [InlineData("debit", "PAIDOUT", true, "Did you mean 'PAID_OUT'?", null)]
    [InlineData("payment", "cash", false, "Did you mean 'CASH'?", null)]
    public async Task The_ledger_lists_the_codes_a_request_could_have_named(string kind, string code, bool allowReserved, string says, string? notSays)
    {
        await using var connection = await fiscus.Db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var references = new LedgerReferences(connection, transaction, CancellationToken.None);

        var failure = kind switch
        {
            "credit" => (await references.CreditTypeAsync(code, "type", allowReserved)).Failure,
            "debit" => (await references.DebitTypeAsync(code, "type", allowReserved)).Failure,
            _ => (await references.PaymentTypeAsync(code, "payment_type")).Failure,
        };

        Assert.NotNull(failure);
        Assert.Equal($"unknown_{kind}_type", failure.Code);
        Assert.Contains(says, failure.Message, StringComparison.Ordinal);
        Assert.Contains("Valid codes: ", failure.Message, StringComparison.Ordinal);
        if (notSays is not null)
        {
            Assert.DoesNotContain(notSays, failure.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("amout", "amount")]
    [InlineData("amonut", "amount")] // a swap of two neighbours is one edit
    [InlineData("PaymentType", "payment_type")]
    [InlineData("payment-type", "payment_type")]
    [InlineData("note", "note")]
    [InlineData("colour", null)]
    [InlineData("a", null)]
    [InlineData("", null)]
    public void The_nearest_name_is_suggested_only_when_close(string wrong, string? expected)
    {
        Assert.Equal(expected, Suggestions.Nearest(wrong, ["amount", "payment_type", "note", "library_id", "external_id"]));
    }

    [Fact]
    public void A_long_list_is_capped_and_says_how_many_more()
    {
        var codes = Enumerable.Range(1, 30).Select(i => $"C{i:D2}").ToList();
        Assert.Equal(string.Join(", ", codes.Take(25)) + " and 5 more", Suggestions.List(codes, 25));
        Assert.Equal("A, B", Suggestions.List(["A", "B"], 25));
    }

    async Task ArchivedPaymentTypeAsync(HttpClient admin)
    {
        if (await fiscus.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM payment_types WHERE code = 'ARCHIVED_PT')"))
        {
            return;
        }
        using var made = await admin.PostAsync("/api/v1/payment_types", Json.Body(new { code = "ARCHIVED_PT", description = "Retired voucher" }));
        await made.ExpectAsync(HttpStatusCode.Created);
        using var archived = await admin.PostAsync("/api/v1/payment_types/ARCHIVED_PT/archive", null);
        Assert.True(archived.IsSuccessStatusCode, await archived.Content.ReadAsStringAsync());
    }
}
