using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Sealing;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// The ledger's seal (migration 0012): blocks of final rows hashed into a chain, each row sealed once, none skipped even
/// when transactions commit out of the order their ids were drawn in, and one chain however many sealers run.
/// </summary>
public sealed class SealTests
{
    /// <summary>How many rows of each sealed part are final (stamped) and how many of them no seal lists.</summary>
    static Task<(long Final, long Unlisted)> CoverageAsync(SealedLedger ledger, SealedSource source) =>
        ledger.SingleAsync<(long, long)>($"""
            SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM ledger_seal_chunks c WHERE c.source = '{source.Name}' AND {source.KeySql("t")} = ANY(c.row_keys)))
            FROM {source.Table} t WHERE t.{source.XidColumn} IS NOT NULL
            """);

    [Fact]
    public async Task A_seal_covers_every_final_row_once_and_names_the_seal_before_it()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        var (register, session) = await ledger.WriteAsync();

        // (One seal, or a few when other classes' transactions on the server hold the horizon back for a moment.)
        var one = await ledger.SealAllAsync();

        Assert.Equal(new byte[32], await ledger.ScalarAsync<byte[]>("SELECT previous_hash FROM ledger_seals WHERE seal_no = 1"));
        Assert.Matches("^[0-9a-f]{64}$", one.HashHex);
        foreach (var source in SealedSources.All)
        {
            var (_, unlisted) = await CoverageAsync(ledger, source);
            Assert.True(unlisted == 0, $"{unlisted} final row(s) of {source.Name} are in no seal");
        }
        Assert.Equal(await ledger.ScalarAsync<long>("SELECT sum(row_count) FROM ledger_seals"),
            await ledger.ScalarAsync<long>("SELECT sum(cardinality(row_keys)) FROM ledger_seal_chunks"));
        Assert.Equal(SealOutcome.NothingNew, (await ledger.SealAsync()).Outcome);

        await using (var owner = await ledger.Owner.OpenConnectionAsync())
        {
            await Tills.SellAsync(owner, register, session, 75);
        }
        var second = await ledger.SealAllAsync();

        Assert.Equal(one.SealNo + 1, second.SealNo);
        Assert.Equal(one.Hash, second.PreviousHash);
        Assert.Equal(one.XidTo, second.XidFrom);
        // One transaction's sale: a debit and a credit, their two CREATE offsets and the APPLY, the debit's line movement,
        // the credit's money into the drawer and the income it paid for.
        Assert.Equal(8, second.RowCount);
        var report = await ledger.VerifyAsync();
        Assert.True(report.IsClean, string.Join("; ", report.Violations.Select(v => v.Detail)));
        Assert.Equal((second.SealNo, 0L), (report.Seal.Status.Latest!.SealNo, report.Seal.Status.RowsWaiting));
        Assert.Equal(await ledger.ScalarAsync<long>("SELECT sum(cardinality(row_keys)) FROM ledger_seal_chunks"), report.Seal.Status.RowsSealed);
    }

    [Fact]
    public async Task A_lower_id_still_uncommitted_is_sealed_after_a_higher_one_never_skipped()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.SealAllAsync();
        await using var early = await ledger.Runtime.OpenConnectionAsync();
        await using var late = await ledger.Runtime.OpenConnectionAsync();

        // "early" draws its transaction id first; "late" then draws the lower audit id, "early" the higher, and only
        // "early" commits. Sealing "everything up to the highest id committed" would now seal past the open lower one.
        await using var earlyTransaction = await early.BeginTransactionAsync();
        await early.ExecuteAsync("SELECT pg_current_xact_id()", transaction: earlyTransaction);
        await using var lateTransaction = await late.BeginTransactionAsync();
        var lower = await SealedLedger.AuditAsync(late, lateTransaction);
        var higher = await SealedLedger.AuditAsync(early, earlyTransaction);
        await earlyTransaction.CommitAsync();
        Assert.True(lower < higher);

        // Sealing goes on (as long as it takes other classes' transactions on the server to end) and takes the higher one ...
        await ledger.SealAllAsync(async () => await ledger.SealOfAsync("audit_log", higher) is not null);
        Assert.Null(await ledger.SealOfAsync("audit_log", lower));
        await ledger.SealAsync();
        Assert.Null(await ledger.SealOfAsync("audit_log", lower));

        // ... and the lower one once its transaction ends, in a later seal.
        await lateTransaction.CommitAsync();
        await ledger.SealAllAsync();

        Assert.True(await ledger.SealOfAsync("audit_log", lower) > await ledger.SealOfAsync("audit_log", higher));
        Assert.True((await ledger.VerifyAsync()).IsClean);
    }

    [Fact]
    public async Task A_transaction_still_open_holds_back_the_rows_written_after_it_until_it_ends()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.SealAllAsync();
        await using var open = await ledger.Runtime.OpenConnectionAsync();
        await using var other = await ledger.Runtime.OpenConnectionAsync();

        await using var openTransaction = await open.BeginTransactionAsync();
        var held = await SealedLedger.AuditAsync(open, openTransaction);
        var after = await SealedLedger.AuditAsync(other);
        // A transaction that rolls back leaves nothing to seal and holds nothing back once it has.
        await using (var rolledBack = await other.BeginTransactionAsync())
        {
            await SealedLedger.AuditAsync(other, rolledBack);
            await rolledBack.RollbackAsync();
        }

        Assert.Equal(SealOutcome.NothingNew, (await ledger.SealAsync()).Outcome);
        Assert.Null(await ledger.SealOfAsync("audit_log", after));

        await openTransaction.CommitAsync();
        await ledger.SealAllAsync();

        Assert.True(await ledger.SealOfAsync("audit_log", held) <= await ledger.SealOfAsync("audit_log", after));
        var report = await ledger.VerifyAsync();
        Assert.True(report.IsClean, string.Join("; ", report.Violations.Select(v => v.Detail)));
        Assert.Equal(0, report.Seal.Status.RowsWaiting);
    }

    [Fact]
    public async Task Sealers_racing_each_other_and_the_writers_keep_one_chain_that_covers_every_row_once()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        var (register, session) = await ledger.WriteAsync();
        using var writing = new CancellationTokenSource(TimeSpan.FromSeconds(3));

        var writers = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            await using var owner = await ledger.Owner.OpenConnectionAsync();
            while (!writing.IsCancellationRequested)
            {
                if (i % 2 == 0)
                {
                    await Tills.SellAsync(owner, register, session, 10 + i);
                }
                else
                {
                    await SealedLedger.AuditAsync(owner);
                }
            }
        })).ToList();
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<SealOutcome>();
        var sealers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!writing.IsCancellationRequested)
            {
                outcomes.Add((await ledger.SealAsync()).Outcome);
            }
        })).ToList();
        await Task.WhenAll(writers.Concat(sealers));
        await ledger.SealAllAsync();

        Assert.Contains(SealOutcome.Sealed, outcomes);
        Assert.True(await ledger.ScalarAsync<long>("SELECT max(seal_no) FROM ledger_seals") > 1);
        foreach (var source in SealedSources.All)
        {
            Assert.Equal(0, (await CoverageAsync(ledger, source)).Unlisted);
        }
        var report = await ledger.VerifyAsync();
        Assert.True(report.IsClean, string.Join("; ", report.Violations.Select(v => v.Detail)));
        Assert.Equal(0, report.Seal.Status.RowsWaiting);
    }

    [Theory]
    [InlineData("the same number again", "@last", "@hash", "@to")]
    [InlineData("a second successor of the same seal", "@last + 1", "@previous", "@from")]
    [InlineData("a gap in the numbers", "@last + 2", "@hash", "@to")]
    [InlineData("a block that does not start where the last ended", "@last + 1", "@hash", "@from")]
    public async Task A_seal_that_does_not_continue_the_chain_is_refused(string what, string sealNo, string previous, string from)
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.WriteAsync();
        var one = await ledger.SealAllAsync();
        await ledger.WriteAsync();
        var two = await ledger.SealAllAsync();

        var error = await Record.ExceptionAsync(() => ledger.ScalarAsync<int>($"""
            INSERT INTO ledger_seals (seal_no, previous_hash, hash, xid_from, xid_to, row_count, encoding, sealed_at)
            VALUES ({sealNo}, {previous}, sha256('forged'::bytea), {from}::text::xid8, (@to::bigint + 10)::text::xid8, 1, 1, now())
            """, new
        {
            last = two.SealNo, hash = two.Hash, previous = one.Hash, from = (long)one.XidTo, to = (long)two.XidTo,
        }));

        Assert.True(error is PostgresException { SqlState: LedgerErrorCodes.SealChainBroken }, $"{what}: {error?.Message ?? "accepted"}");
    }

    [Fact]
    public async Task With_every_trigger_off_a_seal_still_has_one_successor()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.WriteAsync();
        var one = await ledger.SealAllAsync();
        await ledger.WriteAsync();
        await ledger.SealAllAsync();

        var error = await Record.ExceptionAsync(() => ledger.TamperAsync("""
            INSERT INTO ledger_seals (seal_no, previous_hash, hash, xid_from, xid_to, row_count, encoding, sealed_at)
            VALUES (99, @previous, sha256('fork'::bytea), '1', '2', 1, 1, now())
            """, new { previous = one.Hash }));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, Assert.IsType<PostgresException>(error).SqlState);
    }

    [Fact]
    public async Task A_chain_ahead_of_the_databases_transaction_ids_stops_sealing_and_says_so()
    {
        // What a logical dump restored into a new cluster looks like: the last seal's horizon is beyond any transaction here.
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.TamperAsync("""
            INSERT INTO ledger_seals (seal_no, previous_hash, hash, xid_from, xid_to, row_count, encoding, sealed_at)
            VALUES (1, '\x0000000000000000000000000000000000000000000000000000000000000000', sha256('restored'::bytea), '0',
                    (pg_current_xact_id()::text::bigint + 1000000)::text::xid8, 1, 1, now())
            """);
        await ledger.WriteAsync();

        var attempt = await ledger.SealAsync();

        Assert.Equal((SealOutcome.TransactionIdsBehind, 1L), (attempt.Outcome, attempt.Seal!.SealNo));
        Assert.Equal(1, await ledger.ScalarAsync<long>("SELECT count(*) FROM ledger_seals"));
    }

    [Fact]
    public async Task The_transaction_stamp_is_the_writers_own_whatever_it_sends()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await using var owner = await ledger.Owner.OpenConnectionAsync();
        await using var transaction = await owner.BeginTransactionAsync();

        var (stamped, own) = await owner.QuerySingleAsync<(string, string)>("""
            INSERT INTO audit_log (occurred_at, actor, action, seal_xid) VALUES (now(), 'forger', 'test', '3')
            RETURNING seal_xid::text, pg_current_xact_id()::text
            """, transaction: transaction);

        Assert.Equal(own, stamped);
    }

    [Fact]
    public async Task Sessions_cash_ups_and_shifts_are_sealed_as_born_then_whole_once_closed()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await using var owner = await ledger.Owner.OpenConnectionAsync();
        var (register, session) = await Tills.OpenAsync(owner);
        var cashup = await owner.ExecuteScalarAsync<long>(
            "INSERT INTO cashups (cash_register_id, register_session_id, user_id, started_at) VALUES (@register, @session, 1, now()) RETURNING cashup_id",
            new { register, session });
        var shift = await owner.ExecuteScalarAsync<Guid>("""
            INSERT INTO shifts (shift_id, user_id, cash_register_id, status, start_cash_minor, start_time)
            VALUES (gen_random_uuid(), 1, @register, 'open', 2000, now()) RETURNING shift_id
            """, new { register });
        await owner.ExecuteAsync("UPDATE cashups SET note = 'counting' WHERE cashup_id = @cashup", new { cashup });
        await ledger.SealAllAsync();

        Assert.Equal(
            new[] { ("cashups", cashup.ToString()), ("register_sessions", session.ToString()), ("shifts", shift.ToString()) },
            await PartsSealedAsync(owner, session, cashup, shift));

        // Closing the shift, then counting the (empty) session, completing its cash-up and closing it.
        await owner.ExecuteAsync("""
            UPDATE shifts SET status = 'closed', end_time = now(), expected_cash_end_minor = 2000, actual_cash_end_minor = 2000, ended_by_user_id = 1,
                              cash_in_minor = 0, cash_out_minor = 0, cash_payments_minor = 0, cash_refunds_minor = 0
            WHERE shift_id = @shift
            """, new { shift });
        await using (var close = await owner.BeginTransactionAsync())
        {
            await owner.ExecuteAsync("""
                UPDATE register_sessions SET status = 'closed', counting_started_at = now(), closed_at = now() WHERE register_session_id = @session;
                UPDATE cashups SET completed_at = now(), amount_minor = 0, summary = @summary::jsonb WHERE cashup_id = @cashup;
                """, new { session, cashup, summary = EmptySessionSummary }, close);
            await close.CommitAsync();
        }
        await ledger.SealAllAsync();

        Assert.Equal(new[]
        {
            ("cashups", cashup.ToString()), ("cashups:completed", cashup.ToString()), ("register_sessions", session.ToString()),
            ("register_sessions:closed", session.ToString()), ("shifts", shift.ToString()), ("shifts:closed", shift.ToString()),
        }, await PartsSealedAsync(owner, session, cashup, shift));
        var report = await ledger.VerifyAsync();
        Assert.True(report.IsClean, string.Join("; ", report.Violations.Select(v => v.Detail)));
    }

    /// <summary>What Cashups.CompleteAsync freezes for a session that took nothing, with its 20.00 float.</summary>
    const string EmptySessionSummary = """
        {"FloatMinor": 2000, "IncomeTotalMinor": 0, "PayoutTotalMinor": 0, "BankableMinor": 0, "ExpectedCashInDrawerMinor": 2000,
         "TotalGrouped": [], "Reconciliations": []}
        """;

    static async Task<(string, string)[]> PartsSealedAsync(NpgsqlConnection owner, long session, long cashup, Guid shift) =>
        (await owner.QueryAsync<(string, string)>("""
            SELECT source, row_key FROM ledger_seal_chunks, unnest(row_keys) AS row_key
            WHERE (source LIKE 'register_sessions%' AND row_key = @session::text) OR (source LIKE 'cashups%' AND row_key = @cashup::text)
               OR (source LIKE 'shifts%' AND row_key = @shift::text)
            ORDER BY source
            """, new { session, cashup, shift })).ToArray();

    [Fact]
    public async Task Every_column_of_a_sealed_table_is_sealed_or_named_as_changing_after_its_row_is_final()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await using var owner = await ledger.Owner.OpenConnectionAsync();

        foreach (var table in SealedSources.All.GroupBy(s => s.Table))
        {
            var columns = (await owner.QueryAsync<string>(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @table ORDER BY column_name",
                new { table = table.Key })).ToList();
            var sealedOrNamed = table.SelectMany(s => s.Columns)
                .Concat(SealedSources.Unsealed.GetValueOrDefault(table.Key) ?? [])
                .Distinct().Order(StringComparer.Ordinal).ToList();

            // A column added to a sealed table must be encoded (a new encoding) or named as one that changes.
            Assert.Equal(columns, sealedOrNamed);
            var timestamps = await owner.QueryAsync<string>("""
                SELECT column_name FROM information_schema.columns
                WHERE table_schema = 'public' AND table_name = @table AND data_type = 'timestamp with time zone'
                """, new { table = table.Key });
            Assert.All(table, source => Assert.All(source.Columns.Intersect(timestamps),
                timestamp => Assert.Contains(timestamp, source.Timestamps)));
        }
    }

    [Fact]
    public async Task The_runtime_role_seals_but_can_change_no_seal()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.WriteAsync();
        await ledger.SealAllAsync();
        await using var runtime = await ledger.Runtime.OpenConnectionAsync();

        foreach (var sql in new[]
                 {
                     "UPDATE ledger_seals SET sealed_at = now()", "DELETE FROM ledger_seals", "UPDATE ledger_seal_chunks SET row_hashes = sha256('x')",
                     "DELETE FROM ledger_seal_chunks", "TRUNCATE ledger_seal_chunks", "UPDATE audit_log SET seal_xid = '1'",
                 })
        {
            var error = await Record.ExceptionAsync(() => runtime.ExecuteAsync(sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.IsType<PostgresException>(error).SqlState);
        }
    }
}
