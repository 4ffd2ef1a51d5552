using System.Globalization;
using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Accounts;

/// <summary>
/// One patron's account, opened inside a transaction. Opening it for a write locks the patron row first
/// (the fixed lock order: account, then lines by id), so concurrent commands on one patron run one after
/// the other and can never over-apply a credit or pay a debit twice. A secured patron refuses every write, and
/// a client bound to another library may not open it (403 outside_binding).
/// </summary>
public sealed class PatronAccount
{
    PatronAccount(LedgerWriter writer, long patronId, string libraryId)
    {
        Writer = writer;
        PatronId = patronId;
        PatronLibraryId = libraryId;
        References = new LedgerReferences(writer.Connection, writer.Transaction, writer.CancellationToken);
    }

    public LedgerWriter Writer { get; }

    public LedgerReferences References { get; }

    public long PatronId { get; }

    public string PatronLibraryId { get; }

    /// <param name="preload">Reference data the command will check, read in the same round trip as the lock, and the named
    /// register's open session, share-locked after the account (the fixed lock order).</param>
    public static async Task<Outcome<PatronAccount>> OpenForWriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long patronId, LedgerActor actor, DateTimeOffset now,
        CancellationToken cancellationToken, ReferencePreload? preload = null)
    {
        const string lockSql = "SELECT patron_id, library_id, secured FROM patrons WHERE patron_id = @patronId FOR UPDATE;";
        var parameters = new DynamicParameters(new { patronId });
        if (preload is not null)
        {
            parameters.AddDynamicParams(preload.Parameters);
        }
        using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            preload is null ? lockSql : lockSql + LedgerReferences.PreloadSql, parameters, transaction, cancellationToken: cancellationToken));
        var patron = await results.ReadSingleOrDefaultAsync<(long PatronId, string LibraryId, bool Secured)?>();
        if (patron is not { } found)
        {
            return NotFound(patronId);
        }
        // Every write to an account comes through here, whatever the transport: a bound client touches only its
        // library's patrons.
        if (actor.Binding.CheckPatron(patronId, found.LibraryId) is { } outside)
        {
            return outside;
        }
        if (found.Secured)
        {
            return Failure.Conflict("patron_secured",
                Invariant($"Patron {patronId}'s record is secured: no changes to the account are allowed."));
        }
        var account = new PatronAccount(new LedgerWriter(connection, transaction, actor, now, cancellationToken), found.PatronId, found.LibraryId);
        if (preload is not null)
        {
            await account.References.PreloadAsync(results, preload);
            // The session locked as the writer would lock it before journaling to the register (none: a cash-up committed
            // meanwhile, or none is open; the writer then looks again when it needs one).
            var session = await results.ReadSingleOrDefaultAsync<long?>();
            if (preload.RegisterId is { } registerId && session is { } locked)
            {
                account.Writer.UseLockedSession(registerId, locked);
            }
        }
        return account;
    }

    public static Failure NotFound(long patronId) => Failure.NotFound("patron_not_found", Invariant($"There is no patron {patronId}."));

    /// <summary>The library a new line is recorded at: the one asked for, else the register's, the caller's, the patron's.</summary>
    public string LibraryFor(string? requested, LedgerReferences.Register? register) =>
        requested ?? register?.LibraryId ?? Writer.Actor.LibraryId ?? PatronLibraryId;

    /// <summary>This patron's outstanding debits, oldest first, locked.</summary>
    public async Task<IReadOnlyList<AccountLine>> OutstandingDebitsAsync() =>
        (await Writer.Connection.QueryAsync<AccountLine>(new CommandDefinition($"""
            SELECT {AccountLine.Columns} FROM account_lines
            WHERE patron_id = @PatronId AND debit_type_code IS NOT NULL AND amount_outstanding_minor > 0
            ORDER BY account_line_id FOR UPDATE
            """, new { PatronId }, Writer.Transaction, cancellationToken: Writer.CancellationToken))).AsList();

    /// <summary>One of this patron's lines, locked; null when it does not exist on this account.</summary>
    public Task<AccountLine?> LineAsync(long accountLineId) =>
        Writer.Connection.QuerySingleOrDefaultAsync<AccountLine>(new CommandDefinition(
            $"SELECT {AccountLine.Columns} FROM account_lines WHERE account_line_id = @accountLineId AND patron_id = @PatronId FOR UPDATE",
            new { accountLineId, PatronId }, Writer.Transaction, cancellationToken: Writer.CancellationToken));

    public Task<long> BalanceAsync() => BalanceAsync(Writer.Connection, Writer.Transaction, PatronId, Writer.CancellationToken);

    /// <summary>Balance = the sum of what is outstanding: positive owes, negative is in credit.</summary>
    public static Task<long> BalanceAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, long patronId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COALESCE(sum(amount_outstanding_minor), 0)::bigint FROM account_lines WHERE patron_id = @patronId",
            new { patronId }, transaction, cancellationToken: cancellationToken));

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
