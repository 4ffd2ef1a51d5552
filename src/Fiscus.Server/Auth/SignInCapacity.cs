namespace Fiscus.Server.Auth;

/// <summary>
/// How much the sign-in protections keep in memory and write per window, so that no flood can grow them without bound.
/// Fixed in production (one instance of the defaults); tests shrink them to reach the bounds in a few requests.
/// </summary>
public sealed class SignInCapacity
{
    /// <summary>Budgets tracked exactly (an address, a username) per window before fresh ones go to coarser budgets.</summary>
    public int ExactBudgets { get; init; } = 50_000;

    /// <summary>
    /// Beyond <see cref="ExactBudgets"/>, room for the exact budgets of attempts from an address known for their username,
    /// so that the real user keeps a budget of their own (and is held to it) while strangers share coarser ones.
    /// </summary>
    public int KnownPairBudgets { get; init; } = 10_000;

    /// <summary>Budgets of address prefixes (IPv4 /24, IPv6 /48) once the exact ones are full.</summary>
    public int PrefixBudgets { get; init; } = 10_000;

    /// <summary>Hashed budgets per kind once the prefixes are full too: the last, fixed-size fallback.</summary>
    public int OverflowBuckets { get; init; } = 1_024;

    /// <summary>Usernames whose existence and known addresses are remembered per window.</summary>
    public int RememberedUsers { get; init; } = 10_000;

    /// <summary>Failed sign-ins written to the audit log per window and instance; the rest are counted.</summary>
    public int AuditRowsPerWindow { get; init; } = 1_000;

    /// <summary>
    /// <c>auth.locked_out</c> rows per window and instance, apart from the failures' own rows (those of budgets that name a
    /// user are always written: at most one per user and window).
    /// </summary>
    public int LockoutRowsPerWindow { get; init; } = 1_000;

    /// <summary>Summaries per window of budgets that name no user (the busiest first; the rest go into the instance's).</summary>
    public int SummariesPerWindow { get; init; } = 100;

    /// <summary>Successful Basic sign-ins (user, address, day) remembered as already recorded, least recently used first out.</summary>
    public int RememberedBasicSignIns { get; init; } = 10_000;
}
