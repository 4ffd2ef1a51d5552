namespace Fiscus.Server.Auth;

/// <summary>Whose failures a budget counts: one address or name, an address's network, or a hashed share of many.</summary>
public enum BudgetTier
{
    Exact,
    Prefix,
    Overflow,
}

/// <summary>What is known of an attempt when its budgets are chosen and judged.</summary>
/// <param name="NamesUser">Its username is a user's (such budgets are always exact: there are only so many users).</param>
/// <param name="KnownPair">Its address is one that user signed in from lately (see <see cref="KnownSignInAddresses"/>).</param>
/// <param name="KnownLane">
/// A known pair that has not failed in this window, so it may hash in the lane kept for known addresses
/// (<see cref="VerifiedPasswords.HashingSlotAsync"/>). A pair that has just failed is no longer the real user as far as
/// anyone can tell (leaked credentials flooded from the addresses they made known are): it keeps its exemption from a
/// spent username budget, since a typo must not lock the user out during an attack, but it queues with everyone else.
/// </param>
public readonly record struct AttemptStanding(bool NamesUser, bool KnownPair, bool KnownLane = false);

/// <summary>One window's count of failures (and what came of them) for one address, username, person or share of them.</summary>
public sealed class Budget(string key, string kind, string value, BudgetTier tier)
{
    public string Key { get; } = key;

    /// <summary><c>address</c>, <c>username</c> or <c>person</c>.</summary>
    public string Kind { get; } = kind;

    /// <summary>The address, network, username or person id; <c>(overflow N)</c> for a hashed share.</summary>
    public string Value { get; } = value;

    public BudgetTier Tier { get; } = tier;

    public int Failures { get; set; }
    public int Refused { get; set; }
    public int AuditRows { get; set; }
    public int Unrecorded { get; set; }
    public int Busy { get; set; }
    public bool LockoutRecorded { get; set; }

    /// <summary>A username budget whose name is a user's: always summarised, its lock-out always recorded.</summary>
    public bool NamesUser { get; set; }

    /// <summary>For a username: the addresses its failures and busy answers came from (up to a bound).</summary>
    public HashSet<string>? Addresses { get; set; }

    public bool IsEmpty => Failures == 0 && Refused == 0 && AuditRows == 0 && Unrecorded == 0 && Busy == 0;
}

/// <summary>
/// One window's budgets, bounded however many addresses and names a flood brings. A budget exists only while it counts
/// something: an attempt's reserved failure given back (a right password, or nothing checked) drops a budget left at
/// zero, so only attempts that really failed take room. When <see cref="SignInCapacity.ExactBudgets"/> are taken, an
/// address is counted under its network (<see cref="SignInSubject.Prefix"/>), and once those are taken too, an address
/// network or a username under one of <see cref="SignInCapacity.OverflowBuckets"/> hashed shares, never one budget for
/// all. Persons and usernames that name a user are always exact (there are only so many staff), and an address known
/// for its username has room of its own (<see cref="SignInCapacity.KnownPairBudgets"/>). Not thread-safe: the throttle
/// holds its lock.
/// </summary>
public sealed class SignInBudgets(SignInCapacity capacity)
{
    readonly Dictionary<string, Budget> budgets = new(StringComparer.Ordinal);
    int exact;
    int prefixes;

    public IEnumerable<Budget> All => budgets.Values;

    /// <summary>The budget of this kind that the attempt's failures count on now, if it has one yet.</summary>
    public Budget? Find(string kind, SignInSubject subject, AttemptStanding standing) =>
        budgets.GetValueOrDefault(Place(kind, subject, standing).Key);

    /// <summary>The budget of this kind that the attempt's failures count on, made if need be.</summary>
    public Budget Track(string kind, SignInSubject subject, AttemptStanding standing)
    {
        var (key, value, tier) = Place(kind, subject, standing);
        if (!budgets.TryGetValue(key, out var budget))
        {
            budget = new Budget(key, kind, value, tier);
            budgets[key] = budget;
            exact += tier == BudgetTier.Exact ? 1 : 0;
            prefixes += tier == BudgetTier.Prefix ? 1 : 0;
        }
        return budget;
    }

    /// <summary>Forgets a budget that counts nothing any more, so that given-back attempts leave no trace.</summary>
    public void DropIfEmpty(Budget budget)
    {
        if (budget.IsEmpty && budgets.Remove(budget.Key))
        {
            exact -= budget.Tier == BudgetTier.Exact ? 1 : 0;
            prefixes -= budget.Tier == BudgetTier.Prefix ? 1 : 0;
        }
    }

    (string Key, string Value, BudgetTier Tier) Place(string kind, SignInSubject subject, AttemptStanding standing)
    {
        var value = kind switch
        {
            "address" => subject.Address,
            "username" => subject.Username!,
            _ => subject.PersonId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var exactKey = Key(kind, BudgetTier.Exact, value);
        if (budgets.ContainsKey(exactKey) || kind == "person" || (kind == "username" && standing.NamesUser) ||
            exact < capacity.ExactBudgets || (standing.KnownPair && exact < capacity.ExactBudgets + capacity.KnownPairBudgets))
        {
            return (exactKey, value, BudgetTier.Exact);
        }
        if (kind == "address")
        {
            var prefixKey = Key(kind, BudgetTier.Prefix, subject.Prefix);
            if (budgets.ContainsKey(prefixKey) || prefixes < capacity.PrefixBudgets)
            {
                return (prefixKey, subject.Prefix, BudgetTier.Prefix);
            }
            value = subject.Prefix;
        }
        // string.GetHashCode is seeded per process: nobody outside can aim a flood at the share a given name falls in.
        var share = $"(overflow {(uint)StringComparer.Ordinal.GetHashCode(value) % (uint)capacity.OverflowBuckets})";
        return (Key(kind, BudgetTier.Overflow, share), share, BudgetTier.Overflow);
    }

    static string Key(string kind, BudgetTier tier, string value) => $"{kind}:{tier}:{value}";
}
