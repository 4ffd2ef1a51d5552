namespace Fiscus.Ledger;

/// <summary>
/// "Did you mean ...?" for a name a client got wrong: the nearest of the names it could have used, by edit distance
/// (a swap of two neighbouring letters counts as one edit), comparing without case, underscores or hyphens so that
/// <c>paymentType</c> finds <c>payment_type</c>. Nothing is suggested when nothing is close.
/// </summary>
public static class Suggestions
{
    /// <summary>The known name nearest to <paramref name="wrong"/>, or null when none is within a few edits.</summary>
    public static string? Nearest(string wrong, IEnumerable<string> known)
    {
        var target = Fold(wrong);
        if (target.Length == 0)
        {
            return null;
        }
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var candidate = Fold(name);
            // Close means: at most a third of the longer name changed, and never more than three edits.
            var allowed = Math.Min(3, Math.Max(1, Math.Max(target.Length, candidate.Length) / 3));
            var distance = Distance(target, candidate, allowed);
            if (distance <= allowed && distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }
        return best;
    }

    /// <summary>" Did you mean 'amount'?" (with its leading space), or "" when nothing is close.</summary>
    public static string DidYouMean(string wrong, IEnumerable<string> known) =>
        Nearest(wrong, known) is { } nearest ? $" Did you mean '{nearest}'?" : "";

    /// <summary>"A, B, C", or the first <paramref name="cap"/> of them and how many more.</summary>
    public static string List(IReadOnlyCollection<string> names, int cap = 20) =>
        names.Count <= cap ? string.Join(", ", names) : $"{string.Join(", ", names.Take(cap))} and {names.Count - cap} more";

    static string Fold(string name) =>
        string.Concat(name.Where(c => c is not ('_' or '-' or ' ')).Select(char.ToLowerInvariant));

    /// <summary>Optimal string alignment distance; anything beyond <paramref name="limit"/> is reported as limit + 1.</summary>
    static int Distance(string a, string b, int limit)
    {
        if (Math.Abs(a.Length - b.Length) > limit)
        {
            return limit + 1;
        }
        var rows = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            rows[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            rows[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var value = Math.Min(Math.Min(rows[i - 1, j] + 1, rows[i, j - 1] + 1), rows[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, rows[i - 2, j - 2] + 1);
                }
                rows[i, j] = value;
            }
        }
        return Math.Min(rows[a.Length, b.Length], limit + 1);
    }
}
