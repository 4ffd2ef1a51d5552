using System.Text.Json;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Tests.Model;

/// <summary>
/// The app reads a line in every shape the API answers: Koha's debit and credit (<c>type</c>, Fiscus's facts under
/// <c>fiscus</c>), Koha's account_line (<c>debit_type</c>/<c>credit_type</c>) and a register session's native line.
/// </summary>
public sealed class AccountLineShapesTests
{
    static AccountLine Read(string json) => JsonSerializer.Deserialize(json, Wire.Default.AccountLine)!;

    [Fact]
    public void A_debit_a_credit_an_account_line_and_a_session_line_say_their_kind_type_and_facts()
    {
        var debit = Read("""
            {"account_line_id": 7, "amount": 2.40, "amount_outstanding": 0, "cash_register_id": null, "checkout_id": null,
             "date": "2026-01-31T10:00:00Z", "description": null, "interface": "api", "internal_note": null, "item_id": null,
             "library_id": "MAIN", "patron_id": null, "payout_type": null, "status": null, "timestamp": "2026-01-31T10:00:00Z",
             "type": "PRINT", "user_id": null,
             "fiscus": {"client_id": "kiosk", "external_id": null, "register_session_id": 4, "quantity": 3,
                        "related_account_line_id": null, "posted_at": "2026-01-31T10:00:00Z"}}
            """);
        var credit = Read("""
            {"account_line_id": 8, "amount": -2.40, "amount_outstanding": 0, "date": "2026-01-31T10:00:00Z", "type": "PURCHASE",
             "payment_type": "CASH", "user_id": null, "credit_number": null, "timestamp": "2026-01-31T10:00:00Z"}
            """);
        var accountLine = Read("""
            {"account_line_id": 9, "amount": -1, "amount_outstanding": -1, "date": "2026-01-31T10:00:00Z", "debit_type": null,
             "credit_type": "CREDIT", "payment_type": null, "payout_type": null, "user_id": 1}
            """);
        var sessionLine = Read("""
            {"account_line_id": 10, "amount": 1.5, "amount_outstanding": 0, "date": "2026-01-31T10:00:00Z", "debit_type": "COPY",
             "credit_type": null, "quantity": 2, "client_id": "till", "register_session_id": 5, "user_id": null}
            """);

        Assert.Equal((true, "PRINT", 3, "kiosk", 4L), (debit.IsDebit, debit.TypeCode, debit.Count, debit.Client, debit.Session));
        Assert.Equal("PRINT", debit.DebitTypeCode);
        Assert.Null(debit.CreditTypeCode);
        Assert.Equal((true, "PURCHASE", "PURCHASE"), (credit.IsCredit, credit.TypeCode, credit.CreditTypeCode));
        Assert.Null(credit.Count);
        Assert.Equal((true, "CREDIT"), (accountLine.IsCredit, accountLine.CreditTypeCode));
        Assert.Equal((true, "COPY", 2, "till", 5L), (sessionLine.IsDebit, sessionLine.TypeCode, sessionLine.Count, sessionLine.Client,
            sessionLine.Session));
    }

    [Theory]
    [InlineData("api/v1/patrons/12/account", true)]
    [InlineData("api/v1/patrons/12/account/debits?_per_page=1000", true)]
    [InlineData("api/v1/patrons/12/account/credits/5/void", true)]
    [InlineData("api/v1/cash_registers/3/sales", true)]
    [InlineData("api/v1/cash_registers/3/sales/44", true)]
    [InlineData("api/v1/cash_registers/3/refunds", true)]
    [InlineData("api/v1/cash_registers/3/session", false)]
    [InlineData("api/v1/cash_registers/3/cashups", false)]
    [InlineData("api/v1/patrons/12", false)]
    [InlineData("api/v1/patrons/12/accountant", false)]
    public void The_app_asks_for_fiscus_s_facts_where_lines_come_in_Koha_s_shapes(string path, bool asked)
    {
        Assert.Equal(asked, FiscusEmbed.OfferedAt(new Uri(path, UriKind.Relative)));
        Assert.Equal(asked, FiscusEmbed.OfferedAt(new Uri(new Uri("http://127.0.0.1:5080/"), path)));
    }
}
