namespace Fiscus.Server.Auth;

/// <summary>
/// What a finger draws on a keyboard without thinking: its rows (<c>qwerty</c>, <c>asdf</c>; QWERTZ and AZERTY too), walks
/// down its columns (<c>1qaz2wsx3edc</c>, <c>zaq12wsxcde3</c>, up and down in turn) and across two rows in turn
/// (<c>1q2w3e4r</c>, <c>qawsedrf</c>), each either way. The US layout's columns lean right as they go down, so
/// <c>1</c>, <c>q</c>, <c>a</c> and <c>z</c> are one column. A symbol typed with Shift is its key
/// (<c>!@#$</c> is <c>1234</c>, <c>!QAZ2wsx#EDC</c> a walk).
/// </summary>
public static class KeyboardPatterns
{
    static readonly string[] Rows = ["`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "qwertzuiop", "azertyuiop", "yxcvbnm"];

    /// <summary>The US layout's four rows of characters, aligned by column.</summary>
    static readonly string[] Grid = ["1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./"];

    static readonly string[] All = [.. Rows, .. Walks(), .. Rows.Concat(Walks()).Select(Reverse)];

    /// <summary>Whether lower-case <paramref name="text"/> is a stretch of one pattern (at least three characters).</summary>
    public static bool Contain(string text)
    {
        var keys = Keys(text);
        return keys.Length >= 3 && All.Any(pattern => pattern.Contains(keys, StringComparison.Ordinal));
    }

    /// <summary>For each character of lower-case <paramref name="text"/>, how long a stretch of one pattern starts there.</summary>
    public static int[] Stretches(string text)
    {
        var keys = Keys(text);
        var lengths = new int[keys.Length];
        for (var start = 0; start < keys.Length; start++)
        {
            while (start + lengths[start] < keys.Length &&
                All.Any(pattern => pattern.AsSpan().Contains(keys.AsSpan(start, lengths[start] + 1), StringComparison.Ordinal)))
            {
                lengths[start]++;
            }
        }
        return lengths;
    }

    /// <summary>The keys typed: a symbol typed with Shift on a US keyboard as its key's own character, one for one.</summary>
    static string Keys(string text) => string.Create(text.Length, text, (keys, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            var shifted = Shifted.IndexOf(source[i], StringComparison.Ordinal);
            keys[i] = shifted < 0 ? source[i] : Unshifted[shifted];
        }
    });

    const string Shifted = "~!@#$%^&*()_+{}|:\"<>?";
    const string Unshifted = "`1234567890-=[]\\;',./";

    /// <summary>Down the columns, up them, up and down in turn (both ways round), and two neighbouring rows in turn.</summary>
    static IEnumerable<string> Walks()
    {
        var columns = Enumerable.Range(0, Grid[0].Length)
            .Select(i => string.Concat(Grid.Where(row => i < row.Length).Select(row => row[i])))
            .ToList();
        yield return string.Concat(columns);
        yield return string.Concat(columns.Select(Reverse));
        yield return string.Concat(columns.Select((column, i) => i % 2 == 0 ? Reverse(column) : column));
        yield return string.Concat(columns.Select((column, i) => i % 2 == 0 ? column : Reverse(column)));
        for (var row = 0; row + 1 < Grid.Length; row++)
        {
            yield return Interleave(Grid[row], Grid[row + 1]);
            yield return Interleave(Grid[row + 1], Grid[row]);
        }
    }

    static string Interleave(string first, string second) =>
        string.Concat(Enumerable.Range(0, Math.Max(first.Length, second.Length))
            .Select(i => (i < first.Length ? first[i].ToString() : "") + (i < second.Length ? second[i].ToString() : "")));

    static string Reverse(string text)
    {
        var chars = text.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }
}
