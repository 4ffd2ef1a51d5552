using System.Collections.Frozen;

namespace Fiscus.Server.Auth;

/// <summary>
/// What a staff password must be, after NIST SP 800-63B: long enough for the role (at least 12 characters for
/// admins and managers, who can move money and people; 8 for cashiers, who type it at the till), at most 256,
/// and not one of the passwords attackers try first: a common or library word (<c>CommonPasswords.txt</c>),
/// one character or a short pattern repeated, a run such as <c>12345678</c> or <c>abcdefgh</c>, a keyboard row
/// such as <c>qwertyuiop</c>, or anything containing the username. No composition rules (NIST advises
/// against them): a long phrase is better than a short mix of symbols.
/// </summary>
/// <remarks>
/// The checks look at the password lower-cased, and again at its core: without the digits and symbols people
/// put before and after a word (<c>Library2024!</c> is <c>library</c>) and with the usual letter swaps undone
/// (<c>p@ssw0rd</c> is <c>password</c>). Generated passwords are random and skip these checks.
/// </remarks>
public static class PasswordPolicy
{
    public const int MinLength = 8;
    public const int PrivilegedMinLength = 12;
    public const int MaxLength = 256;

    /// <summary>Usernames shorter than this are not looked for in the password (<c>al</c> is in too many words).</summary>
    const int MinUsernameToRefuse = 3;

    /// <summary>How many digits and symbols around a word still make it that word (<c>2024!</c>, <c>#1</c>).</summary>
    const int MaxAffixLength = 5;

    static readonly string[] KeyboardRows = ["`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "qwertzuiop", "azertyuiop", "yxcvbnm"];

    static readonly FrozenSet<string> Common = LoadCommon();

    /// <summary>The shortest password this role may have.</summary>
    public static int MinLengthFor(string? role) => role is Roles.Admin or Roles.Manager ? PrivilegedMinLength : MinLength;

    /// <returns>Why the password is not acceptable for this user, or null.</returns>
    public static string? Problem(string? password, string? role, string? username)
    {
        if (password is null)
        {
            return "password is required";
        }
        var minimum = MinLengthFor(role);
        if (password.Length < minimum)
        {
            return role is Roles.Admin or Roles.Manager
                ? $"password must be at least {minimum} characters for an {(role == Roles.Admin ? "admin" : "manager")}"
                : $"password must be at least {minimum} characters";
        }
        if (password.Length > MaxLength)
        {
            return $"password must be at most {MaxLength} characters";
        }
        if (string.IsNullOrWhiteSpace(password))
        {
            return "password must not be blank";
        }
        var lower = password.ToLowerInvariant();
        if (username is { Length: >= MinUsernameToRefuse } && lower.Contains(username.ToLowerInvariant(), StringComparison.Ordinal))
        {
            return "password must not contain the username";
        }
        var core = Core(lower);
        if (Common.Contains(lower) || Common.Contains(core))
        {
            return "password is too common (a well-known password or word); choose a longer phrase of your own";
        }
        foreach (var candidate in (string[])[lower, core])
        {
            if (candidate.Length == 0)
            {
                continue;
            }
            if (IsRepetition(candidate))
            {
                return "password must not be one character or a short pattern repeated";
            }
            if (IsRun(candidate) || IsKeyboardRow(candidate))
            {
                return "password must not be a run of consecutive characters or a row of the keyboard";
            }
        }
        return null;
    }

    /// <summary>
    /// The word inside <c>library2024!</c> or <c>p@ssw0rd1</c>: a few digits and symbols taken off the ends and the
    /// letter swaps undone. A password with more around its word (<c>xyz-98127364-19283</c>) is its own core.
    /// </summary>
    static string Core(string lower)
    {
        var trimmed = lower.Trim(NotALetter);
        return lower.Length - trimmed.Length <= MaxAffixLength ? Undisguise(trimmed) : lower;
    }

    /// <summary><c>aaaaaaaa</c>, <c>abcabcabc</c>, <c>12121212</c>: a pattern of up to half the length, repeated (the last time perhaps cut short).</summary>
    static bool IsRepetition(string text)
    {
        for (var period = 1; period <= text.Length / 2; period++)
        {
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
        foreach (var step in (int[])[1, -1])
        {
            var run = true;
            for (var i = 1; i < text.Length && run; i++)
            {
                run = char.IsAsciiDigit(text[i]) && char.IsAsciiDigit(text[i - 1])
                    ? (text[i] - '0' - (text[i - 1] - '0') - step + 10) % 10 == 0
                    : char.IsAsciiLetterLower(text[i]) && char.IsAsciiLetterLower(text[i - 1]) && text[i] - text[i - 1] == step;
            }
            if (run)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A stretch of one keyboard row, either way (<c>qwertyui</c>, <c>lkjhgfds</c>).</summary>
    static bool IsKeyboardRow(string text) =>
        text.Length >= 3 && KeyboardRows.Any(row =>
            row.Contains(text, StringComparison.Ordinal) || Reverse(row).Contains(text, StringComparison.Ordinal));

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

    static readonly char[] NotALetter = Enumerable.Range(0, 128).Select(c => (char)c).Where(c => !char.IsAsciiLetter(c)).ToArray();

    static string Reverse(string text)
    {
        var chars = text.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
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
