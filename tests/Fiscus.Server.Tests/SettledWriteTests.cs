using Dapper;

namespace Fiscus.Server.Tests;

/// <summary>
/// A sale or intake written settled in one statement (LedgerWriter.WriteSettledAsync, issue 15) leaves what the line-by-line
/// write left, in the same order: lines, offsets, register movements and the answers.
/// </summary>
public sealed class SettledWriteTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task A_full_basket_for_a_patron_is_written_in_the_line_by_line_order()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 10m);
        var patron = await fiscus.PatronAsync();
        var cashier = await fiscus.StaffAsync("cashier");
        var items = Enumerable.Range(0, 200).Select(i => new
        {
            debit_type = i % 2 == 0 ? "COPY" : "PRINT", price = 0.05m + i / 100m, quantity = 1 + i % 3, description = $"item {i}",
        }).ToArray();

        using var response = await cashier.Http.PostSaleAsync(register, new { items, payment_type = "CASH", patron_id = patron }, embed: "fiscus");
        var sale = await response.ExpectAsync(HttpStatusCode.Created);

        var credit = sale["credit"]!["account_line_id"]!.GetValue<long>();
        var debits = sale["debits"]!.AsArray().Select(d => d!).ToArray();
        Assert.Equal(items.Select(i => i.description), debits.Select(d => d["description"]!.GetValue<string>()));
        Assert.Equal(items.Select(i => (i.price * i.quantity, i.quantity)), debits.Select(d => (d.Money("amount"), d["fiscus"]!["quantity"]!.GetValue<int>())));
        var ids = debits.Select(d => d["account_line_id"]!.GetValue<long>()).ToArray();
        Assert.Equal(ids.Order(), ids);
        Assert.True(ids[^1] < credit);

        var offsets = sale["offsets"]!.AsArray().Select(o => (
            Id: o!["account_offset_id"]!.GetValue<long>(), Type: o["type"]!.GetValue<string>(),
            Debit: o["debit_id"]?.GetValue<long>(), Credit: o["credit_id"]?.GetValue<long>())).ToArray();
        Assert.Equal(offsets.Select(o => o.Id).Order(), offsets.Select(o => o.Id));
        Assert.Equal(
            ids.Select(d => ("CREATE", (long?)d, (long?)null))
                .Append(("CREATE", null, credit))
                .Concat(ids.Select(d => ("APPLY", (long?)d, (long?)credit))),
            offsets.Select(o => (o.Type, o.Debit, o.Credit)));

        // The register's movements in the order the line-by-line write made them: the items, the takings, the income per item.
        var kinds = (await fiscus.ScalarAsync<string>("""
            SELECT string_agg(kind, ',' ORDER BY register_movement_id) FROM register_movements
            WHERE register_session_id = (SELECT register_session_id FROM account_lines WHERE account_line_id = @credit)
            """, new { credit })).Split(',');
        Assert.Equal(Enumerable.Repeat("line", 200).Append("in").Concat(Enumerable.Repeat("income", 200)), kinds);

        // The stored sale answers the same lines and offsets.
        using var again = await cashier.Http.GetAsync(response.Headers.Location);
        var stored = await again.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(sale["offsets"]!.ToJsonString(), stored["offsets"]!.ToJsonString());
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task Twins_with_one_external_id_make_one_sale_and_all_get_its_answer()
    {
        var register = await fiscus.RegisterAsync();
        var kiosk = await fiscus.ClientAsync(["sales:write"], cashRegisterId: register);
        var body = new { debit_type = "COPY", amount = 0.30m, description = "copies", payment_type = "CASH", external_id = "twin-15" };
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var response = await kiosk.Http.PostSaleAsync(register, body);
            return (await response.ExpectAsync(HttpStatusCode.Created))["sale_id"]!.GetValue<long>();
        }));
        Assert.Single(answers.Distinct());
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE external_id = 'twin-15'"));
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM sales WHERE cash_register_id = @register", new { register }));
    }
}
