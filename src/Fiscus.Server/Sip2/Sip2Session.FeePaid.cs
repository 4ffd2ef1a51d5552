using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Fiscus.Ledger;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Commands;
using Fiscus.Ledger.Money;

namespace Fiscus.Server.Sip2;

public sealed partial class Sip2Session
{
    /// <summary>
    /// Fee Paid (37): the kiosk took the patron's money. One PAYMENT on the patron's account, journaled to the login's
    /// register, applied to the fee named by CG or to the oldest debts; its BK transaction id is an idempotency key of the
    /// login, so the same BK never pays twice and gets the same 38 back (within the keys' retention; after it, the BK on
    /// the payment still refuses a second payment).
    /// </summary>
    async Task<string> FeePaidAsync(Sip2Message m, CancellationToken cancellationToken)
    {
        if (login is null)
        {
            return FeePaidRefused(m, NotLoggedIn);
        }
        // The login as it is now (disabled, moved to another register or library, its PIN rule or payment types changed since
        // this connection logged in), before anything is checked with its settings.
        if (await RefreshLoginAsync(cancellationToken) is not { } current)
        {
            return FeePaidRefused(m, LoginNoLongerValid);
        }
        if (!m.IsComplete || !IsSipDate(m.FixedAt(0, 18)))
        {
            return await RefuseFeeAsync(m, "malformed", "The request is malformed: transaction date (18), fee type (2), payment type (2) and currency (3) come first.",
                cancellationToken);
        }
        var feeType = m.FixedAt(18, 2);
        var sipPaymentType = m.FixedAt(20, 2);
        var currency = m.FixedAt(22, 3);
        var currencyCode = services.Fiscus.Currency.Code;
        if (!feeType.All(char.IsAsciiDigit) || !sipPaymentType.All(char.IsAsciiDigit))
        {
            return await RefuseFeeAsync(m, "malformed", "The fee type and payment type are two digits each.", cancellationToken);
        }
        if (!string.Equals(currency, currencyCode, StringComparison.OrdinalIgnoreCase))
        {
            return await RefuseFeeAsync(m, "wrong_currency", $"Payments here are in {currencyCode}, not {currency}.", cancellationToken);
        }
        if (ParseAmount(m["BV"], services.Fiscus.Currency) is not { } amount)
        {
            return await RefuseFeeAsync(m, "invalid_amount", AmountRule(m["BV"], services.Fiscus.Currency), cancellationToken);
        }
        if (!current.PaymentTypes.TryGetValue(sipPaymentType, out var paymentType))
        {
            return await RefuseFeeAsync(m, "payment_type_not_mapped", string.Create(CultureInfo.InvariantCulture,
                $"Payment type {sipPaymentType} is not accepted by this kiosk."), cancellationToken);
        }
        long? feeId = null;
        if (m["CG"] is { Length: > 0 } cg)
        {
            // The fee identifier is the account line id. A kiosk may send back the whole fine item: then the id is its first word,
            // but only when the login's format puts {id} first (another format's first word could be a number that is not an id).
            var id = cg.All(char.IsAsciiDigit) || !login.FineItemFormat.StartsWith("{id}", StringComparison.Ordinal) ? cg : cg.Split(' ', 2)[0];
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed <= 0)
            {
                return await RefuseFeeAsync(m, "unknown_fee", $"Fee '{cg}' is not one this kiosk was given.", cancellationToken);
            }
            feeId = parsed;
        }
        var transactionId = m["BK"] is { Length: > 0 } bk ? bk : null;
        var (patron, refusal) = await FindPatronAsync(m, cancellationToken);
        if (patron is null)
        {
            return await RefuseFeeAsync(m, "unknown_patron", refusal!, cancellationToken);
        }
        if (!(await CheckPinAsync(patron, m["AD"], cancellationToken)).Allowed)
        {
            return await RefuseFeeAsync(m, "wrong_pin", WrongPin, cancellationToken);
        }

        var command = new PayFeesCommand(amount, paymentType, current.CashRegisterId, feeId, current.Overpayment == OverpaymentPolicy.Credit,
            Description(feeType), $"SIP2 fee paid at {current.Login}", transactionId);
        var actor = new CommandActor(
            new LedgerActor(null, current.ApiClientId, "sip", current.LibraryId, current.Binding, SipLogin.Scopes), Actor(current));
        // The fingerprint is what was asked, not when: a kiosk that rebuilds the message for its retry sends a new date.
        var fingerprint = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n',
            "37", patron.PatronId.ToString(CultureInfo.InvariantCulture), amount.ToString(CultureInfo.InvariantCulture), sipPaymentType, feeType,
            currencyCode, feeId?.ToString(CultureInfo.InvariantCulture) ?? "")));
        var request = transactionId is null
            ? CommandRequest.Once(actor)
            : new CommandRequest(actor, [IdempotencyKey.ExternalId(transactionId)], fingerprint, "SIP2", "37 Fee Paid", "BK transaction id");
        var ao = Institution(m);
        var result = await services.Runner.RunAsync(request,
            scope => scope.OnAccountAsync(patron.PatronId, account => AccountOperations.PayFeesAsync(account, command)),
            (scope, paid) =>
            {
                var owes = paid.BalanceMinor > 0
                    ? $" You now owe {Major(paid.BalanceMinor)} {currencyCode}."
                    : paid.BalanceMinor < 0 ? $" You have {Major(-paid.BalanceMinor)} {currencyCode} in credit." : " You owe nothing now.";
                var answer = new Sip2Response("38").Fixed("Y").Fixed(Now())
                    .Field("AO", ao).Field("AA", m["AA"]).Field("BK", transactionId)
                    .Field("AF", $"Payment of {Major(amount)} {currencyCode} accepted.{owes}")
                    .ToString();
                var audit = new AuditRecord("sip.fee_paid", "account_line", paid.Payment.AccountLineId.ToString(CultureInfo.InvariantCulture), new
                {
                    patron_id = patron.PatronId,
                    amount = Major(amount),
                    payment_type = paymentType,
                    sip_payment_type = sipPaymentType,
                    fee_type = feeType,
                    fee_id = feeId,
                    transaction_id = transactionId,
                    cash_register_id = current.CashRegisterId,
                    paid = paid.Paid.Select(d => d.AccountLineId).ToArray(),
                });
                return Task.FromResult(new Completion(new CommandAnswer(200, AnswerType, Encoding.UTF8.GetBytes(answer), null), [audit]));
            }, cancellationToken);
        if (result.Answer is { } stored)
        {
            if (result.Replayed)
            {
                services.Logger.LogInformation("SIP2 fee paid BK {TransactionId} from {Login} repeated: the stored 38 sent again", transactionId, current.Login);
            }
            return Encoding.UTF8.GetString(stored.Body);
        }
        var failure = result.Failure!;
        if (failure.Code == "external_id_used" && await RecordedAsync(current, transactionId!, cancellationToken) is { } recorded)
        {
            // Past the keys' retention the stored 38 is gone, but the payment with this BK is still there: the same payment
            // is confirmed (never paid twice), another one under the same BK refused.
            if (recorded.PatronId == patron.PatronId && recorded.AmountMinor == amount)
            {
                return new Sip2Response("38").Fixed("Y").Fixed(Now()).Field("AO", ao).Field("AA", m["AA"]).Field("BK", transactionId)
                    .Field("AF", $"This payment of {Major(amount)} {currencyCode} was already recorded.").ToString();
            }
            failure = new Failure(FailureKind.Mismatch, failure.Code, failure.Message);
        }
        return await RefuseFeeAsync(m, failure.Code, ScreenMessage(failure, currencyCode), cancellationToken);
    }

    sealed record RecordedPayment(long PatronId, long AmountMinor);

    /// <summary>The payment the login recorded with this BK (its external id), if any.</summary>
    async Task<RecordedPayment?> RecordedAsync(SipLogin who, string transactionId, CancellationToken cancellationToken)
    {
        await using var connection = await services.Db.OpenConnectionAsync(cancellationToken);
        return await Dapper.SqlMapper.QuerySingleOrDefaultAsync<RecordedPayment>(connection, new Dapper.CommandDefinition("""
            SELECT patron_id, -amount_minor AS amount_minor FROM account_lines
            WHERE api_client_id = @ApiClientId AND external_id = @transactionId AND credit_type_code IS NOT NULL
            """, new { who.ApiClientId, transactionId }, cancellationToken: cancellationToken));
    }

    /// <summary>What a 38 answer is stored as with its key (a SIP2 message, not an HTTP body).</summary>
    const string AnswerType = "application/x-sip2";

    string FeePaidRefused(Sip2Message m, string why) =>
        new Sip2Response("38").Fixed("N").Fixed(Now())
            .Field("AO", Institution(m)).Field("AA", m["AA"] ?? "").Field("BK", m["BK"] is { Length: > 0 } bk ? bk : null).Field("AF", why)
            .ToString();

    /// <summary>38 N with the reason, and the refusal in the audit log (the ledger kept nothing).</summary>
    async Task<string> RefuseFeeAsync(Sip2Message m, string code, string why, CancellationToken cancellationToken)
    {
        await AuditAsync("sip.fee_paid_refused", "patron", m["AA"] is { Length: > 0 and <= 64 } aa ? aa : null, new
        {
            code,
            reason = why,
            amount = m["BV"],
            fee_type = m.FixedAt(18, 2),
            sip_payment_type = m.FixedAt(20, 2),
            fee_id = m["CG"],
            transaction_id = m["BK"],
        }, cancellationToken);
        services.Logger.LogInformation("SIP2 fee paid from {Login} refused ({Code}): {Why}", login?.Login, code, why);
        return FeePaidRefused(m, why);
    }

    /// <summary>A refusal as a patron at a kiosk reads it.</summary>
    static string ScreenMessage(Failure failure, string currencyCode) => failure.Code switch
    {
        "amount_exceeds_owed" => "The amount is more than is owed; overpayment is not accepted here.",
        "nothing_owed" => "There is nothing to pay on this account.",
        "fee_already_paid" => "That fee is already paid.",
        "unknown_account_lines" or "not_debits" => "That fee is not on this account.",
        _ when failure.Kind == FailureKind.Mismatch => "This transaction id was already used for a different payment.",
        _ => failure.Message,
    };

    static string Description(string feeType) => feeType switch
    {
        "02" => "SIP2 fee paid: administrative",
        "03" => "SIP2 fee paid: damage",
        "04" => "SIP2 fee paid: overdue",
        "05" => "SIP2 fee paid: processing",
        "06" => "SIP2 fee paid: rental",
        "07" => "SIP2 fee paid: replacement",
        "08" => "SIP2 fee paid: computer access charge",
        "09" => "SIP2 fee paid: hold fee",
        _ => string.Create(CultureInfo.InvariantCulture, $"SIP2 fee paid (fee type {feeType})"),
    };

    [GeneratedRegex(@"^[0-9]{1,13}([.,][0-9]{1,18})?$")]
    private static partial Regex AmountPattern();

    /// <summary>BV in major units (<c>5.00</c>; a comma is read as the decimal point, as some kiosks send it); never rounded.</summary>
    static long? ParseAmount(string? value, Currency currency)
    {
        if (value is null || !AmountPattern().IsMatch(value.Trim()))
        {
            return null;
        }
        // More decimals than the currency has is refused even when they are zeros: "1,000" from a kiosk that writes a thousands
        // separator must not be read as 1.00, nor "1.000" silently taken as 1.00.
        var text = value.Trim();
        var separator = text.IndexOfAny(['.', ',']);
        if (separator >= 0 && text.Length - separator - 1 > currency.Exponent)
        {
            return null;
        }
        var major = decimal.Parse(text.Replace(',', '.'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return currency.TryToMinor(major, out var minor) && minor > 0 && minor <= AmountLimits.MaxMinor(currency) ? minor : null;
    }

    static string AmountRule(string? value, Currency currency) => value is null
        ? "No amount (BV) was sent."
        : string.Create(CultureInfo.InvariantCulture,
            $"The amount '{value}' is not accepted: more than 0, at most {currency.ToMajor(AmountLimits.MaxMinor(currency))}, with at most {currency.Exponent} decimals.");
}
