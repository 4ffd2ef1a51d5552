using Dapper;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// Below any transport: money paid out and debts reduced without a payment need <c>refunds:write</c>, asked by
/// every command and, as a backstop, by the writer for every line; a bound actor cannot open another library's
/// account. A new way in (SIP2, a staff app) gets these answers without checking anything itself.
/// </summary>
public sealed class MoneyOutRulesTests(LedgerDatabase database) : IClassFixture<LedgerDatabase>
{
    static readonly string[] CashierScopes = [Scopes.AccountsWrite, Scopes.PaymentsWrite, Scopes.SalesWrite];

    static LedgerActor Actor(string[] scopes, Binding? binding = null) =>
        new(LedgerDatabase.TesterUserId, null, "api", binding?.LibraryId, binding ?? Binding.None, scopes.ToHashSet(StringComparer.Ordinal));

    public static TheoryData<string, Func<PatronAccount, long, long, Task<Outcome<AccountChange>>>> RefundsCommands => new()
    {
        { "a PAYOUT debit", (account, _, _) => AccountOperations.AddDebitAsync(account,
            new AddDebitCommand("PAYOUT", 4000, null, null, null, 1, "CASH", null)) },
        { "a WRITEOFF credit", (account, _, _) => AccountOperations.AddCreditAsync(account,
            new AddCreditCommand("WRITEOFF", 500, null, null, [], null, null, null)) },
        { "a void", (account, _, credit) => AccountOperations.VoidCreditAsync(account, credit, null) },
        { "a refund", (account, _, credit) => AccountOperations.RefundCreditAsync(account, credit, new RefundCommand(100, "CARD", null, null)) },
        { "a cancellation", (account, debit, _) => AccountOperations.CancelDebitAsync(account, debit, null) },
        { "a write-off", (account, debit, _) => AccountOperations.WriteOffDebitAsync(account, debit, new WriteOffCommand(100, null)) },
    };

    [Theory]
    [MemberData(nameof(RefundsCommands))]
    public async Task Commands_that_pay_out_or_forgive_refuse_an_actor_without_refunds_write(
        string what, Func<PatronAccount, long, long, Task<Outcome<AccountChange>>> command)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var (patron, debit, credit) = await ArrangeAsync(connection, transaction);
        var account = (await PatronAccount.OpenForWriteAsync(connection, transaction, patron, Actor(CashierScopes), DateTimeOffset.UtcNow,
            CancellationToken.None)).Value!;
        var lines = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM account_lines", transaction: transaction);

        var outcome = await command(account, debit, credit);

        Assert.True(outcome.Failure is { Kind: FailureKind.Forbidden, Code: "forbidden" }, $"{what}: {outcome.Failure}");
        Assert.Contains(Scopes.RefundsWrite, outcome.Failure!.Message, StringComparison.Ordinal);
        Assert.Equal(lines, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM account_lines", transaction: transaction));
        await transaction.RollbackAsync();
    }

    [Theory]
    [InlineData("PAYOUT", null, "CARD")]
    [InlineData("VOID", null, null)]
    [InlineData(null, "WRITEOFF", null)]
    [InlineData(null, "REFUND", null)]
    [InlineData(null, "CANCELLATION", null)]
    [InlineData(null, "FORGIVEN", null)]
    public async Task The_writer_refuses_such_a_line_for_an_actor_without_refunds_write(string? debitType, string? creditType, string? paymentType)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var (patron, _, _) = await ArrangeAsync(connection, transaction);
        var writer = new LedgerWriter(connection, transaction, Actor(CashierScopes), DateTimeOffset.UtcNow, CancellationToken.None);

        var error = await Record.ExceptionAsync(() => writer.AddLineAsync(new NewLine
        {
            PatronId = patron, DebitTypeCode = debitType, CreditTypeCode = creditType, AmountMinor = debitType is null ? -100 : 100,
            PaymentType = paymentType,
        }));

        Assert.IsType<InvalidOperationException>(error);
        await transaction.RollbackAsync();
    }

    [Fact]
    public async Task An_actor_bound_to_another_library_cannot_open_the_account()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var (patron, _, _) = await ArrangeAsync(connection, transaction);
        await connection.ExecuteAsync("""
            INSERT INTO libraries (library_id, name, time_zone, created_at, updated_at) VALUES ('ELSEWHERE', 'Elsewhere', 'UTC', now(), now())
            """, transaction: transaction);

        var opened = await PatronAccount.OpenForWriteAsync(connection, transaction, patron,
            Actor([.. CashierScopes, Scopes.RefundsWrite], new Binding("ELSEWHERE", null)), DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.True(opened.Failure is { Kind: FailureKind.Forbidden, Code: Binding.RefusalCode }, opened.Failure?.ToString());
        await transaction.RollbackAsync();
    }

    /// <summary>A patron of MAIN with a 5.00 charge and a 3.00 card payment applied to it.</summary>
    static async Task<(long Patron, long Debit, long Credit)> ArrangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        var patron = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
            VALUES (left(md5(random()::text), 20), 'Rules', 'MAIN', now(), now()) RETURNING patron_id
            """, transaction: transaction);
        var staff = Actor([.. CashierScopes, Scopes.RefundsWrite]);
        var account = (await PatronAccount.OpenForWriteAsync(connection, transaction, patron, staff, DateTimeOffset.UtcNow, CancellationToken.None)).Value!;
        var debit = (await AccountOperations.AddDebitAsync(account, new AddDebitCommand("MANUAL", 500, null, null, null, null, null, null))).Value!;
        var credit = (await AccountOperations.AddCreditAsync(account, new AddCreditCommand("PAYMENT", 300, "CARD", null, [], null, null, null))).Value!;
        return (patron, debit.Line.AccountLineId, credit.Line.AccountLineId);
    }
}
