using Fiscus.Ledger.Accounts;
using Npgsql;

namespace Fiscus.Ledger.Commands;

/// <summary>What a command's work runs in: the transaction that also holds its keys, who acts, and the time.</summary>
public sealed class CommandScope(
    NpgsqlConnection connection, NpgsqlTransaction transaction, CommandActor actor, DateTimeOffset now, CancellationToken cancellationToken)
{
    public NpgsqlConnection Connection { get; } = connection;

    public NpgsqlTransaction Transaction { get; } = transaction;

    public CommandActor Actor { get; } = actor;

    /// <summary>The ledger's view of the actor, which the money rules check.</summary>
    public LedgerActor Ledger => Actor.Ledger;

    public DateTimeOffset Now { get; } = now;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>
    /// Runs <paramref name="operation"/> on the patron's account, opened for writing (the patron locked first,
    /// binding and secured checked): the lock step of every account command.
    /// </summary>
    /// <param name="preload">Reference data the operation will check, read in the lock's round trip.</param>
    public async Task<Outcome<T>> OnAccountAsync<T>(
        long patronId, Func<PatronAccount, Task<Outcome<T>>> operation, ReferencePreload? preload = null)
    {
        var opened = await PatronAccount.OpenForWriteAsync(Connection, Transaction, patronId, Ledger, Now, CancellationToken, preload);
        return opened.Failure is { } refused ? refused : await operation(opened.Value!);
    }
}
