using System.Globalization;
using Fiscus.Ledger.Money;
using Fiscus.Server.Configuration;

namespace Fiscus.Server.Installation;

/// <summary>A note or coin, in minor units.</summary>
public sealed record CashDenomination(long ValueMinor, string Kind);

/// <summary>
/// The notes and coins a drawer holds, for counting cash by denomination at a cash-up or shift end. Defaults for the
/// common currencies; <c>FISCUS_CASH_NOTES</c> and <c>FISCUS_CASH_COINS</c> (values in major units, comma separated)
/// replace them. A currency with neither gets none, and the staff app asks for the counted total instead.
/// </summary>
public static class CashDenominations
{
    public const string NotesSetting = "FISCUS_CASH_NOTES";
    public const string CoinsSetting = "FISCUS_CASH_COINS";

    static readonly Dictionary<string, (string Notes, string Coins)> Defaults = new(StringComparer.Ordinal)
    {
        ["USD"] = ("100,50,20,10,5,2,1", "0.50,0.25,0.10,0.05,0.01"),
        ["CAD"] = ("100,50,20,10,5", "2,1,0.25,0.10,0.05"),
        ["AUD"] = ("100,50,20,10,5", "2,1,0.50,0.20,0.10,0.05"),
        ["NZD"] = ("100,50,20,10,5", "2,1,0.50,0.20,0.10"),
        ["EUR"] = ("500,200,100,50,20,10,5", "2,1,0.50,0.20,0.10,0.05,0.02,0.01"),
        ["GBP"] = ("50,20,10,5", "2,1,0.50,0.20,0.10,0.05,0.02,0.01"),
        ["CHF"] = ("1000,200,100,50,20,10", "5,2,1,0.50,0.20,0.10,0.05"),
        ["SEK"] = ("1000,500,200,100,50,20", "10,5,2,1"),
        ["NOK"] = ("1000,500,200,100,50", "20,10,5,1"),
        ["DKK"] = ("1000,500,200,100,50", "20,10,5,2,1,0.50"),
        ["JPY"] = ("10000,5000,2000,1000", "500,100,50,10,5,1"),
    };

    public static IReadOnlyList<CashDenomination> FromConfiguration(IConfiguration configuration, Currency currency)
    {
        var notes = configuration[NotesSetting];
        var coins = configuration[CoinsSetting];
        if (string.IsNullOrWhiteSpace(notes) && string.IsNullOrWhiteSpace(coins))
        {
            if (!Defaults.TryGetValue(currency.Code, out var defaults))
            {
                return [];
            }
            (notes, coins) = defaults;
        }
        var all = Parse(NotesSetting, notes, "note", currency).Concat(Parse(CoinsSetting, coins, "coin", currency))
            .OrderByDescending(d => d.ValueMinor).ToList();
        if (all.DistinctBy(d => d.ValueMinor).Count() != all.Count)
        {
            throw new ConfigurationException($"{NotesSetting} and {CoinsSetting} name a value twice.");
        }
        return all;
    }

    static IEnumerable<CashDenomination> Parse(string setting, string? value, string kind, Currency currency)
    {
        foreach (var entry in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!decimal.TryParse(entry, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var major) || major <= 0 ||
                major > 1_000_000 || !currency.TryToMinor(major, out var minor))
            {
                throw new ConfigurationException(
                    $"{setting} must list values in major units of {currency.Code} with at most {currency.Exponent} decimals, " +
                    $"comma separated (e.g. '20,10,5'); '{entry}' is not one.");
            }
            yield return new CashDenomination(minor, kind);
        }
    }
}
