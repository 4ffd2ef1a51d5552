using System.Globalization;
using System.Text;
using Dapper;
using Fiscus.Ledger.Accounts;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// Everything a command may change, read as the schema's owner: every line of the database in a few words (<see cref="Text"/>),
/// the row's patron's balance, and how many sales, offsets, cash-ups, counts, sessions, shifts and cash transactions there
/// are in each state.
/// </summary>
public sealed record LedgerState(IReadOnlyDictionary<long, string> Lines, long BalanceMinor, string Records)
{
    sealed record LineRow(
        long AccountLineId, long? PatronId, string Type, long AmountMinor, long AmountOutstandingMinor, string? PaymentType, int? CashRegisterId,
        long? SessionOrdinal, string? LibraryId, string? Status, int? Quantity, long? ShiftUserId);

    public static async Task<LedgerState> ReadAsync(World world)
    {
        await using var owner = await world.Database.Owner.OpenConnectionAsync();
        var lines = await owner.QueryAsync<LineRow>("""
            SELECT l.account_line_id, l.patron_id, COALESCE(l.debit_type_code, l.credit_type_code) AS type, l.amount_minor,
                   l.amount_outstanding_minor, l.payment_type, l.cash_register_id,
                   (SELECT count(*) FROM register_sessions s
                    WHERE s.cash_register_id = l.cash_register_id AND s.register_session_id <= l.register_session_id) AS session_ordinal,
                   l.library_id, l.status, l.quantity, (SELECT user_id FROM shifts WHERE shift_id = l.shift_id) AS shift_user_id
            FROM account_lines l ORDER BY l.account_line_id
            """);
        var records = await owner.ExecuteScalarAsync<string>("""
            SELECT concat_ws('; ',
                (SELECT 'offsets ' || count(*) FROM account_offsets),
                (SELECT 'sales ' || count(*) FROM sales),
                (SELECT 'sessions ' || string_agg(status || ' ' || n, ', ' ORDER BY status) FROM (SELECT status, count(*) n FROM register_sessions GROUP BY status) s),
                (SELECT 'cash-ups ' || count(*) || ', completed ' || count(completed_at) FROM cashups),
                (SELECT 'counts ' || count(*) FROM cashup_reconciliations),
                (SELECT 'shifts ' || string_agg(status || ' ' || n, ', ' ORDER BY status) FROM (SELECT status, count(*) n FROM shifts GROUP BY status) s),
                (SELECT 'cash transactions ' || count(*) FROM shift_cash_transactions))
            """);
        var balance = await PatronAccount.BalanceAsync(owner, null, world.Patron, CancellationToken.None);
        return new LedgerState(lines.ToDictionary(l => l.AccountLineId, l => Text(world, l)), balance, records!);
    }

    /// <summary>The lines that are new (as written) or changed (prefixed "now", as they stand), in id order.</summary>
    public static string[] Changes(LedgerState before, LedgerState after) =>
        [.. after.Lines
            .Where(line => !before.Lines.TryGetValue(line.Key, out var was) || was != line.Value)
            .OrderBy(line => line.Key)
            .Select(line => before.Lines.ContainsKey(line.Key) ? "now " + line.Value : line.Value)];

    /// <summary>
    /// A line in a few words: type, amount/outstanding (signed as stored: credits negative), payment type, register and which of its
    /// sessions (<c>@till#1</c>), status, quantity above one, a library other than MAIN, the shift it is stamped with, and whose it is
    /// when not the row's patron's.
    /// </summary>
    static string Text(World world, LineRow line)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{line.Type} {line.AmountMinor}/{line.AmountOutstandingMinor}");
        if (line.PaymentType is not null)
        {
            text.Append(' ').Append(line.PaymentType);
        }
        if (line.CashRegisterId is { } register)
        {
            text.Append(CultureInfo.InvariantCulture, $" @{world.RegisterName(register)}#{line.SessionOrdinal}");
        }
        if (line.Status is not null)
        {
            text.Append(' ').Append(line.Status);
        }
        if (line.Quantity is > 1)
        {
            text.Append(CultureInfo.InvariantCulture, $" x{line.Quantity}");
        }
        if (line.LibraryId is not (null or OperationsDatabase.Main))
        {
            text.Append(" lib ").Append(line.LibraryId);
        }
        if (line.ShiftUserId is { } cashier)
        {
            text.Append(" in ").Append(world.UserName(cashier)).Append("'s shift");
        }
        if (line.PatronId != world.Patron)
        {
            text.Append(line.PatronId is null ? " (no patron)" : " (another patron)");
        }
        return text.ToString();
    }
}
