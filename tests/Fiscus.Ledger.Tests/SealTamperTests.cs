using Fiscus.Ledger.Sealing;
using Fiscus.Ledger.Verification;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// What the seal is for: a superuser (or someone with the disk) edits, deletes or slips in a sealed row with every trigger
/// off, and `fiscus verify` names the table and row. Each row of the theory is one such change, made after the seal; the
/// statement returns the key of the row it touched (of the seal, when it touched the chain itself).
/// </summary>
public sealed class SealTamperTests
{
    static readonly string AuditHash = SealedSources.Find("audit_log")!.RowHashSql("t");

    public static TheoryData<string, string, SealFindingKind, string?> Tampering => new()
    {
        { "edit a line's description, which no other check reads",
          "UPDATE account_lines SET description = 'nothing to see' WHERE account_line_id = (SELECT max(account_line_id) FROM account_lines) RETURNING account_line_id::text",
          SealFindingKind.Altered, "account_lines" },
        { "back-date an offset",
          "UPDATE account_offsets SET created_at = created_at - interval '1 day' WHERE account_offset_id = (SELECT min(account_offset_id) FROM account_offsets) RETURNING account_offset_id::text",
          SealFindingKind.Altered, "account_offsets" },
        { "re-stamp a sealed line as if written now, to be sealed again as it is now",
          "UPDATE account_lines SET seal_xid = pg_current_xact_id() WHERE account_line_id = (SELECT min(account_line_id) FROM account_lines) RETURNING account_line_id::text",
          SealFindingKind.Altered, "account_lines" },
        { "delete an audit entry",
          "DELETE FROM audit_log WHERE audit_id = (SELECT max(audit_id) FROM audit_log) RETURNING audit_id::text",
          SealFindingKind.Deleted, "audit_log" },
        { "delete a register movement",
          "DELETE FROM register_movements WHERE register_movement_id = (SELECT min(register_movement_id) FROM register_movements) RETURNING register_movement_id::text",
          SealFindingKind.Deleted, "register_movements" },
        { "slip an offset into a sealed block, stamped like its neighbours",
          """
          INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at, seal_xid)
          SELECT credit_id, debit_id, 'VOID', 1, created_at, seal_xid FROM account_offsets WHERE type = 'APPLY' LIMIT 1
          RETURNING account_offset_id::text
          """,
          SealFindingKind.Inserted, "account_offsets" },
        { "slip in an audit entry stamped beyond every transaction, where no seal would reach it",
          """
          INSERT INTO audit_log (occurred_at, actor, action, seal_xid)
          VALUES (now(), 'nobody', 'test', (pg_current_xact_id()::text::bigint + 1000000)::text::xid8) RETURNING audit_id::text
          """,
          SealFindingKind.Inserted, "audit_log" },
        { "write a shift already closed, around the checks its close would meet",
          """
          INSERT INTO shifts (shift_id, user_id, cash_register_id, status, start_cash_minor, start_time, end_time, expected_cash_end_minor,
                              actual_cash_end_minor, ended_by_user_id, cash_in_minor, cash_out_minor, cash_payments_minor, cash_refunds_minor)
          SELECT gen_random_uuid(), 1, min(cash_register_id), 'closed', 0, now(), now(), 0, 0, 1, 0, 0, 0, 0 FROM cash_registers
          RETURNING shift_id::text
          """,
          SealFindingKind.Unstamped, "shifts" },
        { "edit an audit entry and its hash in the seal",
          $"""
          UPDATE audit_log SET actor = 'nobody' WHERE audit_id = (SELECT max(audit_id) FROM audit_log);
          UPDATE ledger_seal_chunks c
          SET row_hashes = overlay(row_hashes PLACING (SELECT {AuditHash} FROM audit_log t WHERE t.audit_id = (SELECT max(audit_id) FROM audit_log))
                                   FROM (array_position(row_keys, (SELECT max(audit_id)::text FROM audit_log)) - 1) * 32 + 1 FOR 32)
          WHERE source = 'audit_log' AND (SELECT max(audit_id)::text FROM audit_log) = ANY(row_keys);
          SELECT seal_no::text FROM ledger_seal_chunks WHERE source = 'audit_log' AND (SELECT max(audit_id)::text FROM audit_log) = ANY(row_keys)
          """,
          SealFindingKind.Chain, null },
        { "edit a seal's time", "UPDATE ledger_seals SET sealed_at = sealed_at - interval '1 hour' WHERE seal_no = 1 RETURNING seal_no::text",
          SealFindingKind.Chain, null },
        { "drop a row from a seal's list",
          // The first chunk that lists more than one row (a seal can hold a single row when other test classes' open
          // transactions hold the cluster's horizon back; dropping its only row is refused by the chunk's CHECK).
          """
          UPDATE ledger_seal_chunks SET row_keys = row_keys[2:], row_hashes = substring(row_hashes FROM 33)
          WHERE (seal_no, chunk) = (SELECT seal_no, chunk FROM ledger_seal_chunks WHERE cardinality(row_keys) > 1 ORDER BY seal_no, chunk LIMIT 1)
          RETURNING seal_no::text
          """,
          SealFindingKind.Chain, null },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task A_superuser_changing_a_sealed_row_is_named_by_table_and_row(string what, string sql, SealFindingKind kind, string? table)
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.WriteAsync();
        await ledger.SealAllAsync();
        Assert.True((await ledger.VerifyAsync()).IsClean);

        var key = await ledger.TamperAsync(sql);
        var report = await ledger.VerifyAsync();

        Assert.False(report.IsClean, $"{what}: not found");
        var first = report.Seal.Findings[0];
        if (table is not null)
        {
            Assert.Equal((kind, table, key), (first.Kind, first.Table, first.Key));
            Assert.Contains(report.Violations, v => v.Detail.StartsWith($"{table} {key}", StringComparison.Ordinal));
        }
        else
        {
            Assert.Equal((kind, key), (first.Kind, first.SealNo?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Contains(report.Violations, v => v.Detail.StartsWith($"seal {key}:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_chain_rewritten_whole_passes_a_plain_check_but_not_one_against_a_hash_recorded_before()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.WriteAsync();
        var recorded = (await ledger.SealAllAsync()).Hash;
        await ledger.WriteAsync();
        await ledger.SealAllAsync();
        Assert.True((await ledger.VerifyAsync(recorded)).Seal.AnchorHolds);

        // Someone who knows how the seal is made edits a line of the first block, drops the chain and seals it all again.
        await ledger.TamperAsync("""
            UPDATE account_lines SET description = 'rewritten' WHERE account_line_id = (SELECT min(account_line_id) FROM account_lines);
            DELETE FROM ledger_seal_chunks;
            DELETE FROM ledger_seals;
            """);
        var resealed = await ledger.SealAllAsync();

        // The chain is consistent again: without a hash kept elsewhere, nothing says it is not the original.
        Assert.True((await ledger.VerifyAsync()).IsClean);
        var against = await ledger.VerifyAsync(recorded);
        Assert.False(against.IsClean);
        Assert.False(against.Seal.AnchorHolds);
        Assert.Equal(SealFindingKind.Unrecorded, Assert.Single(against.Seal.Findings).Kind);
        Assert.True((await ledger.VerifyAsync(resealed.Hash)).Seal.AnchorHolds);
    }

    [Fact]
    public async Task Dropping_the_newest_seal_shows_against_its_recorded_hash()
    {
        await using var ledger = await SealedLedger.CreateAsync();
        await ledger.WriteAsync();
        var first = await ledger.SealAllAsync();
        await ledger.WriteAsync();
        var second = await ledger.SealAllAsync();

        await ledger.TamperAsync("DELETE FROM ledger_seal_chunks WHERE seal_no = @last; DELETE FROM ledger_seals WHERE seal_no = @last",
            new { last = second.SealNo });

        // Its rows are simply unsealed again (the next seal takes them), and the first seal still holds.
        var plain = await ledger.VerifyAsync();
        Assert.True(plain.IsClean);
        Assert.Equal(second.RowCount, plain.Seal.Status.RowsWaiting);
        Assert.True((await ledger.VerifyAsync(first.Hash)).Seal.AnchorHolds);
        Assert.Equal(SealFindingKind.Unrecorded, Assert.Single((await ledger.VerifyAsync(second.Hash)).Seal.Findings).Kind);
    }
}
