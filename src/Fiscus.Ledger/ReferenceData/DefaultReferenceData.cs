using Fiscus.Ledger.Accounts;
using Dapper;
using Fiscus.Ledger.Money;
using Npgsql;

namespace Fiscus.Ledger.ReferenceData;

/// <summary>
/// What a fresh installation starts with: library MAIN, its default register, Koha's standard debit and
/// credit types (plus sellable PRINT and COPY), and the payment types CASH, CARD and SIP00.
/// </summary>
public static class DefaultReferenceData
{
    public const string MainLibraryId = "MAIN";

    /// <summary>Koha's mandatory debit types (installer/data/mysql/mandatory/account_debit_types.sql) and ours.</summary>
    public static readonly IReadOnlyList<DebitTypeSeed> DebitTypes =
    [
        new("ACCOUNT", "Account creation fee", CanBeInvoiced: false, IsSystem: true),
        new("ACCOUNT_RENEW", "Account renewal fee", CanBeInvoiced: false, IsSystem: true),
        new("ARTICLE_REQUEST", "Article request fee", CanBeInvoiced: false, IsSystem: true),
        new("LOST", "Lost item", CanBeInvoiced: true, IsSystem: true),
        new("MANUAL", "Manual fee", CanBeInvoiced: true, IsSystem: false),
        new("NEW_CARD", "New card fee", CanBeInvoiced: true, IsSystem: true),
        new("OVERDUE", "Overdue fine", CanBeInvoiced: false, IsSystem: true),
        new("PROCESSING", "Lost item processing fee", CanBeInvoiced: false, IsSystem: true),
        new(LineTypes.Payout, "Payment from library to patron", CanBeInvoiced: false, IsSystem: true),
        new("RENT", "Rental fee", CanBeInvoiced: false, IsSystem: true),
        new("RENT_DAILY", "Daily rental fee", CanBeInvoiced: false, IsSystem: true),
        new("RENT_RENEW", "Renewal of rental item", CanBeInvoiced: false, IsSystem: true),
        new("RENT_DAILY_RENEW", "Renewal of daily rental item", CanBeInvoiced: false, IsSystem: true),
        new("RESERVE", "Hold fee", CanBeInvoiced: false, IsSystem: true),
        new("RESERVE_EXPIRED", "Hold waiting too long", CanBeInvoiced: false, IsSystem: true),
        new(LineTypes.Void, "Credit has been voided", CanBeInvoiced: false, IsSystem: true),
        new(LineTypes.CashupDeficit, "Cash-up deficit", CanBeInvoiced: false, IsSystem: true),
        new(LineTypes.PaidOut, "Cash paid out of a drawer", CanBeInvoiced: false, IsSystem: true),
        new("PRINT", "Printing", CanBeInvoiced: true, IsSystem: false, CanBeSold: true, DefaultAmountCents: 10),
        new("COPY", "Photocopy", CanBeInvoiced: true, IsSystem: false, CanBeSold: true, DefaultAmountCents: 15),
    ];

    /// <summary>Koha's credit types (account_credit_types.sql) plus the cash-up surplus.</summary>
    public static readonly IReadOnlyList<CreditTypeSeed> CreditTypes =
    [
        new(LineTypes.Overpayment, "Overpayment refund", CanBeAddedManually: false),
        new(LineTypes.Payment, "Payment", CanBeAddedManually: false),
        new(LineTypes.WriteOff, "Writeoff", CanBeAddedManually: false),
        new("FORGIVEN", "Forgiven", CanBeAddedManually: true),
        new("CREDIT", "Credit", CanBeAddedManually: true),
        new(LineTypes.Discount, "Discount", CanBeAddedManually: false),
        new(LineTypes.Refund, "Refund", CanBeAddedManually: false),
        new("LOST_FOUND", "Lost item fee refund", CanBeAddedManually: false),
        new("PROCESSING_FOUND", "Lost item processing fee refund", CanBeAddedManually: false),
        new(LineTypes.Purchase, "Purchase", CanBeAddedManually: false),
        new(LineTypes.Cancellation, "Cancellation", CanBeAddedManually: false),
        new(LineTypes.CashupSurplus, "Cash-up surplus", CanBeAddedManually: false),
        new(LineTypes.PaidIn, "Cash paid into a drawer", CanBeAddedManually: false),
    ];

    public static readonly IReadOnlyList<PaymentTypeSeed> PaymentTypes =
    [
        new("CASH", "Cash", CountsAsCash: true, IsSystem: true),
        new("CARD", "Card", CountsAsCash: false, IsSystem: false),
        // Koha's SIP2 "cash" payment type: money in the kiosk's own cash box, counted like cash at cash-up.
        new("SIP00", "Cash via SIP2", CountsAsCash: true, IsSystem: true),
    ];

    /// <summary>The default register's float, in major units.</summary>
    public const long DefaultFloatMajor = 100;

    public static async Task SeedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Currency currency, string timeZone,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await Execute("""
            INSERT INTO libraries (library_id, name, time_zone, created_at, updated_at)
            VALUES (@MainLibraryId, 'Main library', @timeZone, @now, @now)
            """, new { MainLibraryId, timeZone, now });
        var floatMinor = DefaultFloatMajor * currency.MinorPerMajor;
        var registerId = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            INSERT INTO cash_registers (name, description, library_id, starting_float_minor, library_default, created_at, updated_at)
            VALUES ('Main desk', 'Default register of the main library', @MainLibraryId, @floatMinor, true, @now, @now)
            RETURNING cash_register_id
            """, new { MainLibraryId, floatMinor, now }, transaction, cancellationToken: cancellationToken));
        await Registers.RegisterSessions.OpenAsync(connection, transaction, registerId, floatMinor, now, cancellationToken);
        foreach (var t in DebitTypes)
        {
            await Execute("""
                INSERT INTO debit_types (code, description, default_amount_minor, can_be_sold, can_be_invoiced, is_system, created_at, updated_at)
                VALUES (@Code, @Description, @defaultAmountMinor, @CanBeSold, @CanBeInvoiced, @IsSystem, @now, @now)
                """, new { t.Code, t.Description, defaultAmountMinor = ScaleCents(t.DefaultAmountCents, currency), t.CanBeSold, t.CanBeInvoiced, t.IsSystem, now });
        }
        foreach (var t in CreditTypes)
        {
            await Execute("""
                INSERT INTO credit_types (code, description, can_be_added_manually, is_system, created_at, updated_at)
                VALUES (@Code, @Description, @CanBeAddedManually, true, @now, @now)
                """, new { t.Code, t.Description, t.CanBeAddedManually, now });
        }
        foreach (var t in PaymentTypes)
        {
            await Execute("""
                INSERT INTO payment_types (code, payment_type_uuid, description, counts_as_cash, allowed_refund, is_system, created_at, updated_at)
                VALUES (@Code, @uuid, @Description, @CountsAsCash, true, @IsSystem, @now, @now)
                """, new { t.Code, uuid = Guid.NewGuid(), t.Description, t.CountsAsCash, t.IsSystem, now });
        }

        Task Execute(string sql, object parameters) => connection.ExecuteAsync(
            new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
    }

    // Default prices are written in hundredths of a major unit; a currency with fewer decimals rounds up
    // to its smallest coin rather than selling a photocopy for nothing.
    static long? ScaleCents(long? cents, Currency currency)
    {
        if (cents is not { } value)
        {
            return null;
        }
        return currency.Exponent >= 2
            ? value * (currency.MinorPerMajor / 100)
            : Math.Max(1, (value * currency.MinorPerMajor + 99) / 100);
    }
}

public sealed record DebitTypeSeed(
    string Code, string Description, bool CanBeInvoiced, bool IsSystem, bool CanBeSold = false, long? DefaultAmountCents = null);

public sealed record CreditTypeSeed(string Code, string Description, bool CanBeAddedManually);

public sealed record PaymentTypeSeed(string Code, string Description, bool CountsAsCash, bool IsSystem);
