using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Registers;

public sealed record RegisterSession(
    long RegisterSessionId, int CashRegisterId, string Status, long FloatMinor, DateTime OpenedAt, DateTime? CountingStartedAt, DateTime? ClosedAt)
{
    public const string Columns = "register_session_id, cash_register_id, status, float_minor, opened_at, counting_started_at, closed_at";
}

/// <summary>
/// A register's sessions. Money is journaled to the open session under a share lock on its row; a cash-up
/// takes the row's exclusive lock, so it waits for money already on its way in and money arriving after
/// it lands in the next session: every line is in exactly one session, cut by transactions, not by clocks.
/// </summary>
public static class RegisterSessions
{
    public static Task<long> OpenAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int cashRegisterId, long floatMinor, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
            VALUES (@cashRegisterId, 'open', @floatMinor, @now)
            RETURNING register_session_id
            """, new { cashRegisterId, floatMinor, now }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// The open session, share-locked for journaling money to it. A cash-up that committed while this
    /// statement waited leaves nothing to lock; the next statement sees the session it opened.
    /// </summary>
    public static async Task<long> LockOpenForJournalAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int cashRegisterId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT register_session_id FROM register_sessions WHERE cash_register_id = @cashRegisterId AND status = 'open' FOR SHARE",
                new { cashRegisterId }, transaction, cancellationToken: cancellationToken));
            if (id is { } open)
            {
                return open;
            }
        }
        // Three cash-ups committed while this statement waited, or (should the data ever be broken) there is no open session.
        throw new Database.RetryLaterException($"Cash register {cashRegisterId} is being cashed up; send the request again.");
    }

    public static Task<RegisterSession?> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, int cashRegisterId, string status, CancellationToken cancellationToken,
        bool forUpdate = false) =>
        connection.QuerySingleOrDefaultAsync<RegisterSession>(new CommandDefinition(
            $"SELECT {RegisterSession.Columns} FROM register_sessions WHERE cash_register_id = @cashRegisterId AND status = @status{(forUpdate ? " FOR UPDATE" : "")}",
            new { cashRegisterId, status }, transaction, cancellationToken: cancellationToken));

    public static Task<bool> HasLinesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long sessionId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM account_lines WHERE register_session_id = @sessionId)", new { sessionId }, transaction,
            cancellationToken: cancellationToken));
}
