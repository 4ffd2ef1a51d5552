using Dapper;
using Fiscus.Ledger.Sealing;
using Fiscus.Ledger.Verification;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// A database of one test's own for the seal (a seal covers the whole database, so tests that seal or tamper cannot share
/// one): migrated, seeded and granted as <see cref="RuntimeRoleDatabase"/>, with helpers to write rows, seal and verify.
/// </summary>
sealed class SealedLedger : IAsyncDisposable
{
    readonly RuntimeRoleDatabase database = new();

    SealedLedger()
    {
    }

    /// <summary>The test server's superuser, who owns the schema: what someone with the database can do.</summary>
    public NpgsqlDataSource Owner => database.Owner;

    /// <summary>The role the server works as, as the sealer runs.</summary>
    public NpgsqlDataSource Runtime => database.Runtime;

    public static async Task<SealedLedger> CreateAsync()
    {
        var ledger = new SealedLedger();
        await ledger.database.InitializeAsync();
        return ledger;
    }

    public ValueTask DisposeAsync() => new(database.DisposeAsync());

    /// <summary>A register with two card and cash sales (lines, offsets, register movements) and an audit entry.</summary>
    public async Task<(int Register, long Session)> WriteAsync()
    {
        await using var owner = await Owner.OpenConnectionAsync();
        var (register, session) = await Tills.OpenAsync(owner);
        await Tills.SellAsync(owner, register, session, 250);
        await Tills.SellAsync(owner, register, session, 120, "CARD");
        await AuditAsync(owner);
        return (register, session);
    }

    public static Task<long> AuditAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction = null) =>
        connection.ExecuteScalarAsync<long>(
            "INSERT INTO audit_log (occurred_at, actor, action, entity) VALUES (now(), 'ledger-tester', 'test', 'seal') RETURNING audit_id",
            transaction: transaction);

    public async Task<SealAttempt> SealAsync() => await LedgerSealer.SealAsync(Runtime, CancellationToken.None);

    /// <summary>
    /// Seals until <paramref name="done"/> (by default: until nothing waits). A seal reaches only as far as the oldest
    /// transaction still running anywhere on the server, and other test classes' transactions run beside this one's.
    /// </summary>
    public async Task<LedgerSeal> SealAllAsync(Func<Task<bool>>? done = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await SealAsync();
            await using var owner = await Owner.OpenConnectionAsync();
            var status = await SealStatus.ReadAsync(owner, null, CancellationToken.None);
            if (status.Latest is { } latest && (done is null ? status.RowsWaiting == 0 : await done()))
            {
                return latest;
            }
            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"{status.RowsWaiting} row(s) still wait for a seal after 30 s");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Which seal lists this row of this part; null when none does.</summary>
    public async Task<long?> SealOfAsync(string source, object key)
    {
        await using var owner = await Owner.OpenConnectionAsync();
        return await owner.ExecuteScalarAsync<long?>(
            "SELECT min(seal_no) FROM ledger_seal_chunks WHERE source = @source AND @key = ANY(row_keys)", new { source, key = key.ToString() });
    }

    public async Task<VerificationReport> VerifyAsync(byte[]? against = null)
    {
        await using var connection = await Owner.OpenConnectionAsync();
        return await LedgerVerifier.VerifyAsync(connection, CancellationToken.None, against);
    }

    /// <summary>As a superuser does it: every trigger off for the statement (replica role), then back.</summary>
    public async Task<string?> TamperAsync(string sql, object? parameters = null)
    {
        await using var owner = await Owner.OpenConnectionAsync();
        await using var transaction = await owner.BeginTransactionAsync();
        await owner.ExecuteAsync("SET LOCAL session_replication_role = replica", transaction: transaction);
        var key = await owner.ExecuteScalarAsync<string?>(sql, parameters, transaction);
        await transaction.CommitAsync();
        return key;
    }

    public async Task<T> SingleAsync<T>(string sql, object? parameters = null)
    {
        await using var owner = await Owner.OpenConnectionAsync();
        return await owner.QuerySingleAsync<T>(sql, parameters);
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var owner = await Owner.OpenConnectionAsync();
        return (await owner.ExecuteScalarAsync<T>(sql, parameters))!;
    }
}
