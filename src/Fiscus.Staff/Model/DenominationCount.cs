namespace Fiscus.Staff.Model;

/// <summary>A note or coin of the currency, in minor units.</summary>
public sealed record Denomination(long ValueMinor, string Kind);

/// <summary>
/// Cash counted by denomination: how many of each note and coin are in the drawer; the app sums them exactly. With
/// no denominations configured for the currency the clerk types the total instead (<see cref="ManualTotalMinor"/>).
/// </summary>
public sealed class DenominationCount(IReadOnlyList<Denomination> denominations)
{
    public const int MaxPieces = 100_000;

    readonly Dictionary<long, int> pieces = [];

    public IReadOnlyList<Denomination> Denominations { get; } = denominations.OrderByDescending(d => d.ValueMinor).ToList();

    public bool ByDenomination => Denominations.Count > 0;

    public long? ManualTotalMinor { get; set; }

    public int PiecesOf(Denomination denomination) => pieces.GetValueOrDefault(denomination.ValueMinor);

    public void SetPieces(Denomination denomination, int count) => pieces[denomination.ValueMinor] = Math.Clamp(count, 0, MaxPieces);

    public long SubtotalMinor(Denomination denomination) => denomination.ValueMinor * PiecesOf(denomination);

    public long TotalMinor => ByDenomination ? Denominations.Sum(SubtotalMinor) : ManualTotalMinor ?? 0;

    public bool AnythingCounted => ByDenomination ? pieces.Values.Any(p => p > 0) : ManualTotalMinor is not null;

    public void Clear()
    {
        pieces.Clear();
        ManualTotalMinor = null;
    }
}

/// <summary>
/// What a cash-up count means against what was expected: the difference, and the warning a counted float deserves
/// (the most common cash-up mistake is counting the float with the takings).
/// </summary>
public sealed record CountCheck(long ExpectedMinor, long CountedMinor, long FloatMinor)
{
    public long DifferenceMinor => CountedMinor - ExpectedMinor;

    public bool Balanced => DifferenceMinor == 0;

    public string Kind => DifferenceMinor switch { > 0 => "surplus", < 0 => "deficit", _ => "balanced" };

    /// <summary>A surplus of exactly the float: the float was most likely counted as takings.</summary>
    public bool LooksLikeCountedFloat => FloatMinor > 0 && DifferenceMinor == FloatMinor;

    /// <summary>A deficit of exactly the float: the float was most likely taken out before counting the takings.</summary>
    public bool LooksLikeMissingFloat => FloatMinor > 0 && DifferenceMinor == -FloatMinor;
}
