using System.Globalization;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Commands;
using Fiscus.Ledger.Sales;
using Fiscus.Server.Commands;
using Fiscus.Server.Accounts;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Registers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Fiscus.Server.Sales;

public sealed record SaleItemRequest(string DebitType, decimal Price, int Quantity = 1, string? Description = null);

/// <summary>
/// A sale: either the seed's single item (<c>debit_type</c>, <c>amount</c>, <c>description</c>) or a basket
/// (<c>items</c>), paid with <c>payment_type</c>; optionally <c>amount_tendered</c> (cash handed over), a
/// <c>patron_id</c> to attach it to and the caller's <c>external_id</c>.
/// </summary>
public sealed record SaleRequest(
    string PaymentType, string? DebitType = null, decimal? Amount = null, string? Description = null, SaleItemRequest[]? Items = null,
    decimal? AmountTendered = null, long? PatronId = null, string? ExternalId = null);

/// <summary>
/// A sale: its payment as Koha's <c>credit</c> and its items as Koha's <c>debit</c>s. A counter sale has no patron, so its
/// lines say <c>patron_id: null</c> (Koha's definitions type it as an integer: these two routes are Fiscus's answer to
/// Koha bug 42784, where Koha has no route yet).
/// </summary>
public sealed record SaleDto(
    long SaleId, int CashRegisterId, long? PatronId, string PaymentType, decimal Total, decimal? AmountTendered, decimal? ChangeGiven,
    DateTime Date, KohaCredit Credit, IReadOnlyList<KohaDebit> Debits, IReadOnlyList<AccountOffsetDto> Offsets);

/// <summary>A sale in the register's history: enough to find it and reprint its receipt (<c>GET .../sales/{sale_id}</c>).</summary>
public sealed record SaleSummaryDto(
    long SaleId, int CashRegisterId, long? PatronId, string PaymentType, decimal Total, decimal? AmountTendered, decimal? ChangeGiven,
    DateTime Date, long CreditId, long? RegisterSessionId, long? UserId, string? ClientId);

/// <summary>Refund (part of) a sold item: <c>account_line_id</c> of the item, <c>amount</c> (default: all that is left).</summary>
public sealed record PosRefundRequest(long AccountLineId, decimal? Amount = null, string? PayoutType = null, string? Note = null);

public sealed record PosRefundDto(KohaCredit Refund, KohaDebit Payout, KohaDebit Item, IReadOnlyList<AccountOffsetDto> Offsets);

/// <summary>
/// Koha bug 42784: <c>POST /api/v1/cash_registers/{id}/sales</c> records a counter sale with or without a
/// patron, atomically, journaled to the register; <c>POST .../refunds</c> refunds a sold item from it.
/// </summary>
public static class SalesApi
{
    public static RouteGroupBuilder MapSales(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/cash_registers/{cash_register_id:int}").WithTags("Point of sale").RequireAuthorization()
            .WithKohaEmbeds(KohaLines.FiscusEmbed);
        group.MapPost("/sales", SellAsync).RequireAuthorization(Scopes.SalesWrite)
            .WithName("addSale").WithSummary("Record a counter sale (no patron needed)").Produces<SaleDto>(201);
        group.MapGet("/sales", ListAsync).RequireAuthorization(Scopes.RegistersRead)
            .WithName("listSales").WithSummary("The register's sales, newest first, paged (its history, to find and reprint a receipt)")
            .WithKohaList(KohaLists.Sales);
        group.MapGet("/sales/{sale_id:long}", GetAsync).RequireAuthorization(Scopes.RegistersRead)
            .WithName("getSale").WithSummary("A sale with its lines");
        group.MapPost("/refunds", RefundAsync).RequireAuthorization(Scopes.RefundsWrite)
            .WithName("addPosRefund").WithSummary("Refund (part of) a sold item: a REFUND credit and a PAYOUT from this register")
            .Produces<PosRefundDto>(201);
        return group;
    }

    static async Task<IResult> SellAsync(
        [FromRoute(Name = "cash_register_id")] int registerId, SaleRequest request, KohaEmbed embed, [AsParameters] CommandCall call)
    {
        var currency = call.Currency;
        var validation = new Validation().Text("payment_type", request.PaymentType, 80).ExternalId(request.ExternalId)
            .Positive("patron_id", request.PatronId);
        var tendered = WireMoney.ToMinor(validation, "amount_tendered", request.AmountTendered, currency, WireMoney.Sign.NonNegative, false);
        var items = new List<SaleItem>();
        var single = request.Items is null;
        if (single)
        {
            validation.Text("debit_type", request.DebitType, 80).Text("description", request.Description, 1000, required: false);
            var amount = WireMoney.ToMinor(validation, "amount", request.Amount, currency, WireMoney.Sign.Positive, true);
            if (amount is { } price && request.DebitType is not null)
            {
                items.Add(new SaleItem(request.DebitType, price, 1, request.Description));
            }
        }
        else
        {
            foreach (var (field, present) in new[] { ("debit_type", request.DebitType is not null), ("amount", request.Amount is not null), ("description", request.Description is not null) })
            {
                if (present)
                {
                    validation.Add(field, $"Send either items or the single-item fields, not both: {field} belongs to the single-item form.");
                }
            }
            if (request.Items!.Length is 0 or > PointOfSale.MaxItems)
            {
                validation.Add("items", $"items must list 1 to {PointOfSale.MaxItems} items");
            }
            for (var i = 0; i < request.Items.Length; i++)
            {
                var item = request.Items[i];
                if (item is null)
                {
                    validation.Add($"items[{i}]", "An item cannot be null.");
                    continue;
                }
                validation.Text($"items[{i}].debit_type", item.DebitType, 80).Text($"items[{i}].description", item.Description, 1000, required: false);
                if (item.Quantity is < 1 or > 10000)
                {
                    validation.Add($"items[{i}].quantity", "quantity must be a whole number from 1 to 10000");
                }
                var price = WireMoney.ToMinor(validation, $"items[{i}].price", item.Price, currency, WireMoney.Sign.Positive, true);
                if (price is { } minor)
                {
                    items.Add(new SaleItem(item.DebitType, minor, item.Quantity, item.Description));
                }
            }
        }
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        var command = new SaleCommand(registerId, items, request.PaymentType, tendered, request.PatronId, request.ExternalId, single);
        return await call.RunAsync(Dialect.Native, request, request.ExternalId,
            scope => PointOfSale.SellAsync(scope.Connection, scope.Transaction, command, scope.Ledger, scope.Now, currency, scope.CancellationToken),
            async (scope, sale) =>
            {
                var dto = await DtoAsync(scope.Connection, scope.Transaction, sale, registerId, request.PatronId, embed, currency,
                    scope.CancellationToken);
                return new Reply(201, dto, Location(registerId, sale.SaleId), new AuditRecord("pos.sale", "sale", Ids.Text(sale.SaleId),
                    new { cash_register_id = registerId, dto.Total, dto.PaymentType, credit = sale.Credit.AccountLineId, request.ExternalId }));
            });
    }

    sealed record SaleSummaryRow(
        long SaleId, int CashRegisterId, long? PatronId, string PaymentType, long TotalMinor, long? TenderedMinor, long? ChangeMinor,
        DateTime CreatedAt, long CreditId, long? RegisterSessionId, long? UserId, string? ClientId);

    static async Task<Results<Ok<SaleSummaryDto[]>, ProblemHttpResult>> ListAsync(
        [FromRoute(Name = "cash_register_id")] int registerId, KohaQuery query, Caller caller, HttpContext http, NpgsqlDataSource db,
        FiscusOptions options, CancellationToken cancellationToken)
    {
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            if (await CashupsApi.ReadableRegisterAsync(connection, null, registerId, caller, cancellationToken) is { } refused)
            {
                return ApiProblems.From(refused);
            }
        }
        var (rows, _) = await query.PageAsync<SaleSummaryRow>(db,
            """
            s.sale_id, s.cash_register_id, c.patron_id, c.payment_type, s.total_minor, s.tendered_minor, s.change_minor, s.created_at,
            s.credit_id, c.register_session_id, c.user_id, k.client_id
            """,
            """
            FROM sales s JOIN account_lines c ON c.account_line_id = s.credit_id LEFT JOIN api_clients k ON k.api_client_id = c.api_client_id
            """,
            "s.cash_register_id = @registerId", new { registerId }, http, cancellationToken);
        var currency = options.Currency;
        return TypedResults.Ok(rows.Select(r => new SaleSummaryDto(r.SaleId, r.CashRegisterId, r.PatronId, r.PaymentType,
            currency.ToMajor(r.TotalMinor), r.TenderedMinor is { } tendered ? currency.ToMajor(tendered) : null,
            r.ChangeMinor is { } change ? currency.ToMajor(change) : null, r.CreatedAt, r.CreditId, r.RegisterSessionId, r.UserId,
            r.ClientId)).ToArray());
    }

    static async Task<Results<Ok<SaleDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "cash_register_id")] int registerId, [FromRoute(Name = "sale_id")] long saleId, KohaEmbed embed, Caller caller,
        NpgsqlDataSource db,
        FiscusOptions options, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await CashupsApi.ReadableRegisterAsync(connection, null, registerId, caller, cancellationToken) is { } refused)
        {
            return ApiProblems.From(refused);
        }
        var result = await PointOfSale.FindAsync(connection, null, registerId, saleId, cancellationToken);
        if (result is null)
        {
            return ApiProblems.NotFound("sale_not_found", $"There is no sale {saleId} at register {registerId}.");
        }
        return TypedResults.Ok(await DtoAsync(connection, null, result, registerId, result.Credit.PatronId, embed, options.Currency, cancellationToken));
    }

    static async Task<IResult> RefundAsync(
        [FromRoute(Name = "cash_register_id")] int registerId, PosRefundRequest request, KohaEmbed embed, [AsParameters] CommandCall call)
    {
        var options = call.Options;
        var validation = new Validation().Text("payout_type", request.PayoutType, 80, required: false).Text("note", request.Note, 1000, required: false)
            .Positive("account_line_id", request.AccountLineId);
        var amount = WireMoney.ToMinor(validation, "amount", request.Amount, options.Currency, WireMoney.Sign.Positive, false);
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        var command = new PosRefundCommand(registerId, request.AccountLineId, amount, request.PayoutType, request.Note);
        return await call.RunAsync(Dialect.Native, request, null,
            scope => PointOfSale.RefundAsync(scope.Connection, scope.Transaction, command, scope.Ledger, scope.Now, scope.CancellationToken),
            async (scope, refund) =>
            {
                var lines = await KohaLineRow.LoadAsync(scope.Connection, scope.Transaction,
                    [refund.Refund.AccountLineId, refund.Payout.AccountLineId, refund.Item.AccountLineId], scope.CancellationToken);
                var dto = new PosRefundDto(lines[0].ToCredit(options.Currency, embed), lines[1].ToDebit(options.Currency, embed),
                    lines[2].ToDebit(options.Currency, embed), refund.Offsets.Select(o => AccountOffsetDto.From(o, options.Currency)).ToList());
                return new Reply(201, dto, null, new AuditRecord("pos.refund", "account_line", Ids.Text(refund.Payout.AccountLineId),
                    new { cash_register_id = registerId, item = request.AccountLineId, dto.Payout.Amount, payment_type = dto.Payout.PayoutType }));
            });
    }

    static async Task<SaleDto> DtoAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, SaleResult sale, int registerId, long? patronId, KohaEmbed embed,
        Ledger.Money.Currency currency, CancellationToken cancellationToken)
    {
        var lines = await KohaLineRow.LoadAsync(connection, transaction, [sale.Credit.AccountLineId, .. sale.Debits.Select(d => d.AccountLineId)],
            cancellationToken);
        return new SaleDto(sale.SaleId, registerId, patronId, sale.Credit.PaymentType!, currency.ToMajor(sale.TotalMinor),
            sale.TenderedMinor is { } tendered ? currency.ToMajor(tendered) : null, sale.ChangeMinor is { } change ? currency.ToMajor(change) : null,
            sale.CreatedAt, lines[0].ToCredit(currency, embed), lines.Skip(1).Select(l => l.ToDebit(currency, embed)).ToList(),
            sale.Offsets.Select(o => AccountOffsetDto.From(o, currency)).ToList());
    }

    static string Location(int registerId, long saleId) =>
        string.Create(CultureInfo.InvariantCulture, $"/api/v1/cash_registers/{registerId}/sales/{saleId}");
}
