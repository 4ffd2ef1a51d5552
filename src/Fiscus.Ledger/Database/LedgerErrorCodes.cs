namespace Fiscus.Ledger.Database;

/// <summary>SQLSTATE codes raised by Fiscus's own triggers.</summary>
public static class LedgerErrorCodes
{
    /// <summary>A trigger refused to change or delete an append-only row (ledger lines, offsets, audit log).</summary>
    public const string AppendOnlyViolation = "FL001";

    /// <summary>The ledger would be inconsistent: an offset of the wrong shape, or outstanding amounts that disagree with the offsets.</summary>
    public const string LedgerInconsistent = "FL002";
}
