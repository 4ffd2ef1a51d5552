using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Fiscus.Server.Auth;

/// <summary>
/// What a staff password must be, after NIST SP 800-63B: long enough for the role (at least 12 characters for
/// admins and managers, who can move money and people; 8 for cashiers, who type it at the till), at most 256 (and
/// <see cref="MaxStoredLength"/> UTF-16 units, whatever it shows),
/// and not one of the passwords attackers try first: a common or library word (<c>CommonPasswords.txt</c>),
/// one character or a short pattern repeated or a word typed twice, a run such as <c>12345678</c> or <c>abcdefgh</c>,
/// a keyboard row or walk such as <c>qwertyuiop</c> or <c>1qaz2wsx</c>, anything containing the username, or little
/// more than such parts put together.
/// No composition rules (NIST advises against them): a long phrase is better than a short mix of symbols.
/// </summary>
/// <remarks>
/// <para>
/// The checks look at what a person would see and type: invisible characters (zero-width spaces, joiners, controls,
/// variation selectors, and so a right-to-left override that shows <c>4321drowssap!</c> as <c>!password1234</c>) taken
/// out, spaces at either end trimmed, full-width letters and digits (an East Asian keyboard's full-width mode) read as
/// their ASCII selves, Cyrillic and Greek letters that look like Latin ones (<c>р</c>, <c>а</c>, <c>Ο</c>) read as
/// those, and every kind of space as a space; length is counted in characters as a reader counts them (text elements:
/// an emoji or an accented letter is one). NIST asks for NFKC; Fiscus runs in .NET's invariant globalization mode, where
/// <see cref="string.Normalize(NormalizationForm)"/> leaves non-ASCII text as it is, so the compatibility forms and
/// look-alikes people can actually type are folded here instead.
/// </para>
/// <para>
/// Then the password lower-cased, and again at its core: without every digit and symbol before and after its
/// letters (<c>Password12345!</c> is <c>password</c>) and with the usual letter swaps undone (<c>p@ssw0rd</c> is
/// <c>password</c>). Every check reads it again without its separators (spaces, punctuation and ASCII symbols:
/// <c>p.a.s.s.w.o.r.d</c>, <c>1-2-3-4-5-6-7</c>), and the common passwords backwards too (<c>4321drowssap</c>). Finally
/// its predictable parts are taken out: every common word inside a run of letters, either way, as typed or with the
/// swaps undone (<c>ilovelibrary</c> is <c>love</c> and <c>library</c>), runs of digits (<c>123</c>) and of letters
/// (<c>abcd</c>), stretches of a keyboard row or walk (<c>qwer</c>, <c>2wsx</c>, <c>3e4r</c>; a symbol typed with Shift
/// is its key) and a character typed three times or more, also where separators break them up (<c>a.b.c.d</c>); what is
/// left must be at least <see cref="MinOwnCharacters"/> characters (<c>Qwerty123456</c> leaves nothing,
/// <c>library-of-alexandria</c> plenty). Generated passwords are random and skip these checks.
/// </para>
/// </remarks>
public static class PasswordPolicy
{
    public const int MinLength = 8;
    public const int PrivilegedMinLength = 12;
    public const int MaxLength = 256;

    /// <summary>
    /// The most UTF-16 units a password may take, whatever it shows: what is stored and hashed must stay bounded, and
    /// invisible characters (not counted by <see cref="MaxLength"/>) or emoji of several units each could otherwise grow it.
    /// </summary>
    public const int MaxStoredLength = 1024;

    /// <summary>Usernames shorter than this are not looked for in the password (<c>al</c> is in too many words).</summary>
    const int MinUsernameToRefuse = 3;

    /// <summary>Fewer different characters than this (<c>aaaaaaaaaaab</c>, <c>abababab12</c>) is a pattern, not a password.</summary>
    const int MinDistinctCharacters = 5;

    /// <summary>How many digits and symbols around a shape (<c>2024!</c>) still make the password that shape.</summary>
    const int MaxAffixLength = 5;

    /// <summary>How many characters must remain once the predictable parts are taken out.</summary>
    const int MinOwnCharacters = 5;

    /// <summary>
    /// A run of letters or a stretch of a keyboard row counts as a part from this length (<c>abcd</c>, <c>asdf</c>;
    /// shorter ones are inside too many words: <c>first</c>, <c>alert</c>); a run of digits from three (<c>123</c>).
    /// </summary>
    const int MinLetterPart = 4;
    const int MinDigitPart = 3;

    static readonly FrozenSet<string> Common = LoadCommon();

    /// <summary>The common words, and the same spelt backwards, looked up by a slice of a run of letters (no copy made).</summary>
    static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> CommonInside = Common.GetAlternateLookup<ReadOnlySpan<char>>();
    static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> CommonBackwardsInside =
        Common.Select(ReverseTextElements).ToFrozenSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    static readonly int LongestCommon = Common.Max(word => word.Length);

    /// <summary>A common word inside a longer run of letters counts from this length (every word of the list has it).</summary>
    const int MinWordInside = 4;

    /// <summary>The shortest password this role may have.</summary>
    public static int MinLengthFor(string? role) => role is Roles.Admin or Roles.Manager ? PrivilegedMinLength : MinLength;

    /// <returns>Why the password is not acceptable for this user, or null.</returns>
    public static string? Problem(string? password, string? role, string? username)
    {
        if (password is null)
        {
            return "password is required";
        }
        if (password.Length > MaxStoredLength)
        {
            return $"password is too long to store: at most {MaxStoredLength} UTF-16 code units, where an emoji takes two and invisible characters count";
        }
        if (!IsWellFormed(password))
        {
            return "password must be valid Unicode text";
        }
        var visible = Visible(password);
        if (visible.Length == 0)
        {
            return "password must not be blank";
        }
        var minimum = MinLengthFor(role);
        var length = new StringInfo(visible).LengthInTextElements;
        if (length < minimum)
        {
            var who = role is Roles.Admin or Roles.Manager ? $" for an {(role == Roles.Admin ? "admin" : "manager")}" : "";
            return $"password must be at least {minimum} characters{who} (spaces at either end and invisible characters do not count)";
        }
        // Counted as the minimum is, as a reader counts: 130 emoji are 130 characters, not 260.
        if (length > MaxLength)
        {
            return $"password must be at most {MaxLength} characters";
        }
        var lower = visible.ToLowerInvariant();
        var (joined, joinedPositions) = WithoutSeparators(lower);
        if (username?.ToLowerInvariant() is { Length: >= MinUsernameToRefuse } name && (lower.Contains(name, StringComparison.Ordinal) ||
            WithoutSeparators(name).Text is { Length: >= MinUsernameToRefuse } joinedName && joined.Contains(joinedName, StringComparison.Ordinal)))
        {
            return "password must not contain the username";
        }
        // Read without its separators too (p.a.s.s.w.o.r.d, 1-2-3-4-5-6-7), when enough is left to be a pattern at all.
        string[] readings = joined.Length >= MinLetterPart && joined.Length < lower.Length ? [lower, joined] : [lower];
        if (IsCommon(lower))
        {
            return TooCommon;
        }
        foreach (var reading in readings)
        {
            // A shape dressed up with a few digits or symbols is that shape (abcdefgh2024); with more around it, it is not
            // (xyz-98127364-19283), and its parts are weighed below instead.
            var word = TrimNonLetters(reading);
            var core = reading.Length - word.Length <= MaxAffixLength ? Undisguise(word) : reading;
            foreach (var candidate in (string[])[reading, core])
            {
                if (candidate.Length == 0)
                {
                    continue;
                }
                if (IsRepetition(candidate))
                {
                    return "password must not be one character, a short pattern or a word repeated";
                }
                if (IsRun(candidate) || IsKeyboardPattern(candidate))
                {
                    return "password must not be a run of consecutive characters or a keyboard row or walk";
                }
            }
        }
        // The other readings last, so that a shape is called by its name (`1234567890- is a keyboard row, 87654321 a run):
        // without separators (p a s s w o r d 1) and written backwards, as a right-to-left override shows it
        // (4321drowssap!), a common password is still one.
        if (readings.Skip(1).Concat(readings.Select(ReverseTextElements)).Any(IsCommon))
        {
            return TooCommon;
        }
        if (TooFewDistinct(lower))
        {
            return $"password must have at least {MinDistinctCharacters} different characters, and no one character making up most of it";
        }
        if (OwnCharacters(lower, joined, joinedPositions) < MinOwnCharacters)
        {
            return "password is little more than common words, runs, keyboard rows and repeated characters; add more of your own";
        }
        return null;
    }

    const string TooCommon = "password is too common (a well-known password or word); choose a longer phrase of your own";

    /// <summary>
    /// A common password as it stands, or once the digits and symbols around its letters are taken off and the usual swaps
    /// undone (in either order: <c>Password12345!</c>, <c>p@ssw0rd</c>).
    /// </summary>
    static bool IsCommon(string text) =>
        Common.Contains(text) || Common.Contains(Undisguise(TrimNonLetters(text))) || Common.Contains(TrimNonLetters(Undisguise(text)));

    /// <summary>
    /// The password as a person sees it: invisible characters out, full-width forms, Latin look-alikes and every kind of
    /// space folded (see the remarks), spaces at either end trimmed.
    /// </summary>
    static string Visible(string password)
    {
        var text = new StringBuilder(password.Length);
        foreach (var rune in password.EnumerateRunes())
        {
            if (IsInvisible(rune))
            {
                continue;
            }
            if (rune.Value is >= 0xFF01 and <= 0xFF5E)
            {
                text.Append((char)(rune.Value - 0xFEE0));
            }
            else if (LatinLookAlikes.Of(rune) is { } latin)
            {
                text.Append(latin);
            }
            else if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator)
            {
                text.Append(' ');
            }
            else
            {
                text.Append(rune.ToString());
            }
        }
        return text.ToString().Trim();
    }

    /// <summary>Characters that show nothing: format characters (zero-width space and joiners, BOM...), controls, variation selectors and fillers.</summary>
    static bool IsInvisible(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format or UnicodeCategory.Control
        || rune.Value is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x2800 or 0x3164 or 0xFFA0
            or (>= 0x180B and <= 0x180F) or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF);

    internal static bool IsWellFormed(string text)
    {
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out var used) != OperationStatus.Done)
            {
                return false;
            }
            rest = rest[used..];
        }
        return true;
    }

    /// <summary><c>aaaaaaaaaaab</c>, <c>abababab12</c>: fewer than five different characters, or one of them in half the places.</summary>
    static bool TooFewDistinct(string lower)
    {
        var counts = TextElements(lower).CountBy(e => e.Text, StringComparer.Ordinal).Select(c => c.Value).ToList();
        return counts.Count < MinDistinctCharacters || counts.Max() * 2 > counts.Sum();
    }

    /// <summary>
    /// How many characters are left once every predictable part is taken out (see the remarks): those found in the password
    /// as typed, and those found once its separators are taken out (<paramref name="joined"/>, whose characters stand at
    /// <paramref name="positions"/> in it), which take the separators inside them along (<c>a.b.c.d</c> is one run).
    /// </summary>
    static int OwnCharacters(string lower, string joined, int[] positions)
    {
        var predictable = MarkPredictable(lower);
        foreach (var (start, end) in Runs(MarkPredictable(joined), marked => marked))
        {
            Array.Fill(predictable, true, positions[start], positions[end - 1] + 1 - positions[start]);
        }
        return TextElements(lower).Count(e => !predictable.AsSpan(e.Start, e.Text.Length).Contains(true));
    }

    /// <summary>Which characters of <paramref name="text"/> belong to a predictable part.</summary>
    static bool[] MarkPredictable(string text)
    {
        var predictable = new bool[text.Length];
        MarkCommonWords(text, predictable);
        MarkRuns(text, predictable);
        MarkKeyboardStretches(text, predictable);
        MarkTypedAgain(text, predictable);
        return predictable;
    }

    /// <summary>A character typed three times or more in a row (<c>!!!</c>).</summary>
    static void MarkTypedAgain(string text, bool[] predictable)
    {
        var elements = TextElements(text).ToList();
        for (var i = 0; i < elements.Count;)
        {
            var same = i + 1;
            while (same < elements.Count && string.Equals(elements[same].Text, elements[i].Text, StringComparison.Ordinal))
            {
                same++;
            }
            if (same - i >= 3)
            {
                Array.Fill(predictable, true, elements[i].Start, elements[same - 1].Start + elements[same - 1].Text.Length - elements[i].Start);
            }
            i = same;
        }
    }

    /// <summary>
    /// Every common word inside a run of letters, either way, as typed (<c>ilovelibrary</c>, <c>emoclew</c>) or with the
    /// swaps undone (<c>p@ssw0rd1</c>, where the 1 swapped back to an i does not hide the word before it).
    /// </summary>
    static void MarkCommonWords(string text, bool[] predictable)
    {
        foreach (var source in (string[])[text, Undisguise(text)])
        {
            foreach (var (start, end) in Runs(source.ToCharArray(), char.IsLetter))
            {
                for (var from = start; from + MinWordInside <= end; from++)
                {
                    for (var length = MinWordInside; length <= Math.Min(LongestCommon, end - from); length++)
                    {
                        var part = source.AsSpan(from, length);
                        if (CommonInside.Contains(part) || CommonBackwardsInside.Contains(part))
                        {
                            Array.Fill(predictable, true, from, length);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Runs of consecutive digits (<c>123</c>, <c>987</c>, <c>7890</c>) and letters (<c>abcd</c>, <c>zyxw</c>).</summary>
    static void MarkRuns(string lower, bool[] predictable)
    {
        for (var start = 0; start < lower.Length - 1;)
        {
            var step = Step(lower[start], lower[start + 1]);
            var end = start + 1;
            while (step != 0 && end < lower.Length && Step(lower[end - 1], lower[end]) == step)
            {
                end++;
            }
            if (step != 0 && end - start >= (char.IsAsciiDigit(lower[start]) ? MinDigitPart : MinLetterPart))
            {
                Array.Fill(predictable, true, start, end - start);
            }
            start = step == 0 ? start + 1 : end - 1;
        }
    }

    /// <summary>Stretches of a keyboard row or walk, either way (<c>qwer</c>, <c>lkjh</c>, <c>2wsx</c>).</summary>
    static void MarkKeyboardStretches(string lower, bool[] predictable)
    {
        var stretches = KeyboardPatterns.Stretches(lower);
        for (var start = 0; start < lower.Length; start++)
        {
            if (stretches[start] >= MinLetterPart)
            {
                Array.Fill(predictable, true, start, stretches[start]);
            }
        }
    }

    /// <summary>+1 or -1 when <paramref name="next"/> follows <paramref name="previous"/> in the alphabet or the digits (9 then 0 too), else 0.</summary>
    static int Step(char previous, char next)
    {
        if (char.IsAsciiDigit(previous) && char.IsAsciiDigit(next))
        {
            return ((next - previous + 10) % 10) switch { 1 => 1, 9 => -1, _ => 0 };
        }
        return char.IsAsciiLetterLower(previous) && char.IsAsciiLetterLower(next) && Math.Abs(next - previous) == 1 ? next - previous : 0;
    }

    /// <summary>
    /// <c>aaaaaaaa</c>, <c>abcabcabc</c>, <c>12121212</c>: a pattern of up to half the length, repeated (the last time perhaps
    /// cut short); or a part of at least <see cref="MinLetterPart"/> characters typed again after a little in between, no
    /// more than twice as long as it (<c>Pa55word!Pa55word</c>, <c>Summer2024!Summer</c>): a pattern of up to three
    /// quarters of the length.
    /// </summary>
    static bool IsRepetition(string text)
    {
        for (var period = 1; period * 4 <= text.Length * 3; period++)
        {
            if (period * 2 > text.Length && text.Length - period < MinLetterPart)
            {
                break;
            }
            var repeats = true;
            for (var i = period; i < text.Length && repeats; i++)
            {
                repeats = text[i] == text[i - period];
            }
            if (repeats)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary><c>12345678</c>, <c>abcdefgh</c>, <c>87654321</c>, <c>7890123</c>: every character one step from the last, the same way.</summary>
    static bool IsRun(string text)
    {
        if (text.Length < 3)
        {
            return false;
        }
        var step = Step(text[0], text[1]);
        for (var i = 2; i < text.Length && step != 0; i++)
        {
            if (Step(text[i - 1], text[i]) != step)
            {
                return false;
            }
        }
        return step != 0;
    }

    /// <summary>A stretch of one keyboard row or walk, either way (<c>qwertyui</c>, <c>lkjhgfds</c>, <c>1qaz2wsx3edc</c>).</summary>
    static bool IsKeyboardPattern(string text) => KeyboardPatterns.Contain(text);

    /// <summary>Undoes the swaps people make to dress up a word: <c>p@ssw0rd</c> → <c>password</c>.</summary>
    static string Undisguise(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            span[i] = source[i] switch
            {
                '@' or '4' => 'a',
                '0' => 'o',
                '1' or '!' => 'i',
                '3' => 'e',
                '$' or '5' => 's',
                '7' => 't',
                _ => source[i],
            };
        }
    });

    /// <summary>The maximal runs of items that satisfy <paramref name="belongs"/>, as [start, end).</summary>
    static IEnumerable<(int Start, int End)> Runs<T>(T[] text, Func<T, bool> belongs)
    {
        for (var start = 0; start < text.Length;)
        {
            if (!belongs(text[start]))
            {
                start++;
                continue;
            }
            var end = start + 1;
            while (end < text.Length && belongs(text[end]))
            {
                end++;
            }
            yield return (start, end);
            start = end;
        }
    }

    static IEnumerable<(int Start, string Text)> TextElements(string text)
    {
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            yield return (elements.ElementIndex, elements.GetTextElement());
        }
    }

    /// <summary>The text without the digits, symbols, spaces and emoji before and after its letters.</summary>
    static string TrimNonLetters(string text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && !char.IsLetter(text[start]))
        {
            start++;
        }
        while (end > start && !char.IsLetter(text[end - 1]))
        {
            end--;
        }
        return text[start..end];
    }

    /// <summary>The text backwards, character by character as a reader counts them (an emoji or an accented letter stays whole).</summary>
    static string ReverseTextElements(string text) => string.Concat(TextElements(text).Select(e => e.Text).Reverse());

    /// <summary>
    /// The text without its separators (spaces, punctuation and ASCII symbols; emoji stay), and where each character left
    /// stands in it.
    /// </summary>
    static (string Text, int[] Positions) WithoutSeparators(string text)
    {
        var kept = new StringBuilder(text.Length);
        var positions = new List<int>(text.Length);
        for (var i = 0; i < text.Length;)
        {
            var rune = Rune.GetRuneAt(text, i);
            if (!Rune.IsWhiteSpace(rune) && !Rune.IsPunctuation(rune) && !(rune.IsAscii && Rune.IsSymbol(rune)))
            {
                kept.Append(text, i, rune.Utf16SequenceLength);
                positions.AddRange(Enumerable.Range(i, rune.Utf16SequenceLength));
            }
            i += rune.Utf16SequenceLength;
        }
        return (kept.ToString(), [.. positions]);
    }

    static FrozenSet<string> LoadCommon()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("Fiscus.Server.Auth.CommonPasswords.txt")
            ?? throw new InvalidOperationException("The common password list is missing from the build.");
        using var reader = new StreamReader(stream);
        var words = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                words.Add(line.Trim().ToLowerInvariant());
            }
        }
        return words.ToFrozenSet(StringComparer.Ordinal);
    }
}
