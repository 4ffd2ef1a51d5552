using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Commands;
using Fiscus.Server.Commands;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Mvc;

namespace Fiscus.Server.Accounts;

/// <summary>
/// The intake answer: the debit (Koha's debit) and the payment (Koha's credit), the offsets linking them, and the
/// (unchanged) balance.
/// </summary>
public sealed record IntakeDto(KohaDebit Debit, KohaCredit Credit, IReadOnlyList<AccountOffsetDto> Offsets, decimal Balance);

/// <summary>
/// <c>POST /api/v1/patrons/{patron_id}/account/payments</c> — Koha bug 42785: an external system records a
/// completed payment in one call. The charge, the payment and the offset linking them are written in one
/// transaction, so a failure never leaves an unpaid charge, and an <c>external_id</c> (or Idempotency-Key)
/// seen before is answered like a replay, never recorded twice.
/// </summary>
public static class PaymentIntakeApi
{
    public static RouteGroupBuilder MapPaymentIntake(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/patrons/{patron_id:long}/account").WithTags("Patron accounts").RequireAuthorization()
            .WithErrorShape(KohaAccountErrors.Instance).WithKohaEmbeds(KohaLines.FiscusEmbed);
        group.MapPost("/payments", IntakeAsync).RequireAuthorization(Scopes.PaymentsWrite)
            .WithName("addPatronPayment")
            .WithSummary("Charge and pay in one transaction (external payment intake)")
            .Produces<IntakeDto>(201);
        return group;
    }

    /// <summary>The intake names its register <c>register_id</c> (or <c>cash_register_id</c>, as Koha's other routes).</summary>
    static readonly Dialect Intake = Dialect.Native with { WireNames = new Dictionary<string, string> { ["cash_register_id"] = "register_id" } };

    static async Task<IResult> IntakeAsync(
        [FromRoute(Name = "patron_id")] long patronId, IntakeRequest request, KohaEmbed embed, [AsParameters] CommandCall call)
    {
        var validation = new Validation().Text("debit_type", request.DebitType, 80).Text("payment_type", request.PaymentType, 80)
            .Texts(("description", request.Description, AccountRequestChecks.MaxText), ("note", request.Note, AccountRequestChecks.MaxText),
                ("library_id", request.LibraryId, 10))
            .ExternalId(request.ExternalId);
        var amount = validation.Amount(request.Amount, call.Currency);
        if (request.RegisterId is { } registerId && request.CashRegisterId is { } cashRegisterId && registerId != cashRegisterId)
        {
            validation.Add("register_id", "register_id and cash_register_id name different registers; send one");
        }
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        var command = new IntakeCommand(request.DebitType, amount!.Value, request.PaymentType, request.RegisterId ?? request.CashRegisterId,
            request.LibraryId, request.Description, request.Note, request.ExternalId);
        var caller = call.Caller;
        var preload = new ReferencePreload(command.DebitType, command.PaymentType, command.CashRegisterId ?? caller.Binding.CashRegisterId);
        return await call.RunAsync(Intake, request, request.ExternalId,
            scope => scope.OnAccountAsync(patronId, account => AccountOperations.IntakeAsync(account, command), preload),
            async (scope, result) =>
            {
                var lines = await KohaLineRow.LoadAsync(scope.Connection, scope.Transaction,
                    [result.Debit.AccountLineId, result.Credit.AccountLineId], scope.CancellationToken);
                var body = new IntakeDto(lines[0].ToDebit(call.Currency, embed), lines[1].ToCredit(call.Currency, embed),
                    result.Offsets.Select(o => AccountOffsetDto.From(o, call.Currency)).ToList(), call.Currency.ToMajor(result.BalanceMinor));
                return new Reply(201, body, $"/api/v1/patrons/{patronId}/account/credits/{result.Credit.AccountLineId}",
                    new AuditRecord("account.payment_intake", "account_line", Ids.Text(result.Credit.AccountLineId), new
                    {
                        patron_id = patronId, debit = result.Debit.AccountLineId, credit = result.Credit.AccountLineId, body.Credit.Amount,
                        request.PaymentType, request.ExternalId,
                    }));
            });
    }
}
