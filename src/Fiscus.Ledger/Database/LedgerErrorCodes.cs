namespace Fiscus.Ledger.Database;

/// <summary>SQLSTATE codes raised by Fiscus's own triggers.</summary>
public static class LedgerErrorCodes
{
    /// <summary>A trigger refused to change or delete an append-only row (ledger lines, offsets, audit log).</summary>
    public const string AppendOnlyViolation = "FL001";

    /// <summary>The ledger would be inconsistent: an offset of the wrong shape, or outstanding amounts that disagree with the offsets.</summary>
    public const string LedgerInconsistent = "FL002";

    /// <summary>A line of the wrong shape for its kind: a payment without a payment type, a charge with one (migration 0007).</summary>
    public const string MoneyLineMalformed = "FL005";

    /// <summary>A line in a payment type that counts as cash, with no register: cash must go through a drawer.</summary>
    public const string CashWithoutRegister = "FL006";

    /// <summary>
    /// A line, register session or cash-up dated before it was written (beyond the database's clock tolerance), or a line
    /// dated before its session opened (migration 0010). Fiscus dates them by its own clock, so from Fiscus this means the
    /// server's clock is behind the database's.
    /// </summary>
    public const string Backdated = "FL007";

    /// <summary>
    /// A cash-up that does not close its session as the session's lines say, or a session counted or closed without one
    /// (migration 0010, checked at commit).
    /// </summary>
    public const string CashupDoesNotReconcile = "FL008";

    /// <summary>
    /// A seal that does not continue the chain: not the next number, not naming the last seal's hash, or not starting at its
    /// horizon (migration 0012). The sealer holds an advisory lock, so from Fiscus this means a seal was written by hand.
    /// </summary>
    public const string SealChainBroken = "FL009";
}
