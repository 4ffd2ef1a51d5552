using Fiscus.Server.Auth;

namespace Fiscus.Server.Tests;

/// <summary>The password policy, one row per password: what it refuses for which role, and why.</summary>
public sealed class PasswordPolicyTests
{
    [Theory]
    // Length by role: a cashier types it at the till, an admin or manager moves money and people.
    [InlineData("cashier", "ann", "tram-stop", null)]
    [InlineData("cashier", "ann", "tramstp", "at least 8")]
    [InlineData("manager", "ann", "tram-stop-9", "at least 12")]
    [InlineData("admin", "ann", "tram-stop-9", "at least 12")]
    [InlineData("admin", "ann", "tram-stop-at-the-corner", null)]
    // The issue's own example: eight identical letters, for an admin and (longer) for anyone.
    [InlineData("admin", "ann", "aaaaaaaa", "at least 12")]
    [InlineData("admin", "ann", "aaaaaaaaaaaa", "repeated")]
    [InlineData("cashier", "ann", "AAAAAAAA", "repeated")]
    [InlineData("cashier", "ann", "aaaaaaa1", "repeated")]
    [InlineData("admin", "ann", "abcabcabcabc", "repeated")]
    [InlineData("cashier", "ann", "12121212", "repeated")]
    // Runs and keyboard rows, either way, on their own or dressed up.
    [InlineData("cashier", "ann", "12345678", "too common")]
    [InlineData("admin", "ann", "123456789012", "run")]
    [InlineData("admin", "ann", "abcdefghijkl", "run")]
    [InlineData("cashier", "ann", "87654321", "run")]
    [InlineData("cashier", "ann", "wertyuiop", "keyboard")]
    [InlineData("cashier", "ann", "lkjhgfds", "keyboard")]
    [InlineData("admin", "ann", "`1234567890-", "keyboard")]
    [InlineData("admin", "ann", "Qwertyuiop!2", "too common")]
    // Common and library words, also with digits and symbols around them or letters swapped.
    [InlineData("cashier", "ann", "password", "too common")]
    [InlineData("admin", "ann", "Library2024!", "too common")]
    [InlineData("cashier", "ann", "koha2024", "too common")]
    [InlineData("cashier", "ann", "fiscus123", "too common")]
    [InlineData("cashier", "ann", "Welcome1", "too common")]
    [InlineData("cashier", "ann", "cashier1", "too common")]
    [InlineData("admin", "ann", "P@ssw0rd2024", "too common")]
    [InlineData("admin", "ann", "librarian#12", "too common")]
    // A word with plenty of its own around it is not that word.
    [InlineData("cashier", "ann", "xyz-98127364-19283", null)]
    [InlineData("admin", "ann", "library-of-alexandria", null)]
    // A review's list of what passed for an admin: a common word with any amount of digits and symbols around it...
    [InlineData("admin", "ann", "Password12345!", "too common")]
    [InlineData("admin", "ann", "password!!!!!!", "too common")]
    [InlineData("admin", "ann", "Qwerty123456", "too common")]
    [InlineData("admin", "ann", "Welcome123456", "too common")]
    [InlineData("admin", "ann", "iloveyou123456", "too common")]
    [InlineData("admin", "ann", "Fiscus2024!!", "too common")]
    [InlineData("admin", "ann", "Fiscus2024!!!", "too common")]
    // ... length made of spaces at either end, tabs, emoji counted twice and invisible characters...
    [InlineData("admin", "ann", "library      ", "at least 12")]
    [InlineData("admin", "ann", "a           ", "at least 12")]
    [InlineData("admin", "ann", "           a", "at least 12")]
    [InlineData("admin", "ann", "\t\t\t\t\t\t\t\t\t\t\tx", "at least 12")]
    [InlineData("admin", "ann", "\U0001F600\U0001F601\U0001F602\U0001F923\U0001F603\U0001F604", "at least 12")]
    [InlineData("admin", "ann", "Hunter2\u200B\u200B\u200B\u200B\u200B", "at least 12")]
    [InlineData("cashier", "ann", "\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0\u3000", "blank")]
    // ... one character making up nearly all of it.
    [InlineData("admin", "ann", "aaaaaaaaaaab", "different characters")]
    [InlineData("admin", "ann", "abab-baba-abba", "different characters")]
    [InlineData("admin", "ann", "zzzzzzzk-tram", "different characters")]
    // Full-width letters (an East Asian keyboard's full-width mode) are the letters they show.
    [InlineData("cashier", "ann", "\uFF50\uFF41\uFF53\uFF53\uFF57\uFF4F\uFF52\uFF44\uFF11\uFF12", "too common")]
    // Predictable parts put together: common words, runs, keyboard stretches, a character typed again and again.
    [InlineData("admin", "ann", "Welcome2024Library", "little more than")]
    [InlineData("admin", "ann", "abcd1234efgh5678", "little more than")]
    [InlineData("admin", "ann", "p@ssw0rd1-qwertyuiop", "little more than")]
    [InlineData("admin", "ann", "asdf!!!!!!zxcv", "little more than")]
    [InlineData("admin", "ann", "Qwerty!Kx9#mP2", null)]
    [InlineData("admin", "ann", "correct horse battery staple", null)]
    [InlineData("cashier", "ann", "caf\u00E9-au-lait", null)]
    // A second review's list of what passed for an admin: patterns broken up by spaces and punctuation...
    [InlineData("admin", "ann", "a b c d e f g", "run")]
    [InlineData("admin", "ann", "1-2-3-4-5-6-7", "run")]
    [InlineData("admin", "ann", "1.2.3.4.5.6.7.8", "run")]
    [InlineData("admin", "ann", "q w e r t y u i", "keyboard")]
    [InlineData("admin", "ann", "p a s s w o r d 1", "too common")]
    [InlineData("admin", "ann", "P.a.s.s.w.o.r.d.1", "too common")]
    [InlineData("admin", "ann", "Pass-word-1234", "too common")]
    [InlineData("admin", "ann", "a.b.c.d.e.f.g.h.1.2.3.4", "run")]
    [InlineData("admin", "ann", "a.b.c.d.1.2.3.4.q.w.e.r", "little more than")]
    // ... walks down and across the keyboard's columns...
    [InlineData("admin", "ann", "1qaz2wsx3edc", "keyboard")]
    [InlineData("admin", "ann", "1q2w3e4r5t6y", "keyboard")]
    [InlineData("admin", "ann", "zaq12wsxcde3", "keyboard")]
    [InlineData("admin", "ann", "!QAZ2wsx#EDC4rfv", "keyboard")]
    [InlineData("admin", "ann", "!@#$%^&*()_+", "keyboard")]
    [InlineData("admin", "ann", "!@#$qwer1234", "keyboard row or walk")]
    // ... a word typed twice with something between, and common words run together...
    [InlineData("admin", "ann", "Pa55word!Pa55word", "repeated")]
    [InlineData("admin", "ann", "Summer2024!Summer", "repeated")]
    [InlineData("admin", "ann", "ilovelibrary!", "little more than")]
    // ... and what only looks like a common password: Cyrillic letters that show as Latin ones (р and а here),
    // and a right-to-left override that shows 4321drowssap! as !password1234.
    [InlineData("admin", "ann", "раssword1234", "too common")]
    [InlineData("admin", "ann", "‮4321drowssap!", "too common")]
    [InlineData("admin", "ann", "РΑSSWΟRD-2024", "too common")]
    // The same rules leave phrases alone, whatever their script, symbols or separators.
    [InlineData("admin", "ann", "river-blue-lantern-moss", null)]
    [InlineData("admin", "ann", "мой-длинный-путь", null)]
    [InlineData("admin", "ann", "x#&*(%)@!^&*", null)]
    [InlineData("admin", "ann", "still-a-million-neurons", null)]
    // The username, in any case; very short names are left alone (they are inside too many words).
    [InlineData("cashier", "casey", "Casey-at-the-bat", "username")]
    [InlineData("cashier", "casey", "c.a.s.e.y at the bat", "username")]
    [InlineData("admin", "admin", "admin-test-password", "username")]
    [InlineData("cashier", "al", "always-all-right", null)]
    public void Passwords_are_checked_for_the_role(string role, string username, string password, string? refusal)
    {
        var problem = PasswordPolicy.Problem(password, role, username);

        if (refusal is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.NotNull(problem);
            Assert.Contains(refusal, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_longest_password_is_counted_as_a_reader_counts_it_under_a_hard_cap_on_what_is_stored()
    {
        // The review's example: 142 characters as a reader counts them, 272 UTF-16 units, refused as longer than 256.
        var foxes = "Quiet river " + string.Concat(Enumerable.Repeat("\U0001F98A", 130));
        var emoji = "Quiet river " + string.Concat(Enumerable.Range(0x1F400, 130).Select(char.ConvertFromUtf32));
        var longest = string.Concat(Enumerable.Range(0x1F400, PasswordPolicy.MaxLength).Select(char.ConvertFromUtf32));
        // What nobody sees still has to be stored and hashed: a thousand zero-width spaces are past the hard cap.
        var padded = "river-blue-lantern-moss" + new string('\u200B', PasswordPolicy.MaxStoredLength);

        // Refused, but for being nearly all foxes, not for its length.
        Assert.Contains("different characters", PasswordPolicy.Problem(foxes, Roles.Admin, "ann"), StringComparison.Ordinal);
        Assert.Null(PasswordPolicy.Problem(emoji, Roles.Admin, "ann"));
        Assert.Null(PasswordPolicy.Problem(longest, Roles.Admin, "ann"));
        Assert.Equal("password must be at most 256 characters", PasswordPolicy.Problem(longest + "x", Roles.Admin, "ann"));
        Assert.Contains("too long to store", PasswordPolicy.Problem(padded, Roles.Admin, "ann"), StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_and_test_passwords_pass_for_an_admin()
    {
        // Generated passwords skip the policy, but a policy that refused random text would be refusing too much.
        for (var i = 0; i < 2_000; i++)
        {
            var generated = Secrets.NewPassword();
            Assert.True(PasswordPolicy.Problem(generated, Roles.Admin, "admin") is null, generated);
        }
        foreach (var password in (string[])[FiscusFactory.AdminPassword, "bench-ledger-secret-2718", "night-shift-ledger-22",
            "first-start-secret-pw", "tally12-river-stone", "lamp34-harbour-light", "bench-0123456789abcdef0123456789abcdef"])
        {
            Assert.Null(PasswordPolicy.Problem(password, Roles.Admin, "admin"));
        }
    }

    [Fact]
    public void The_common_list_holds_a_few_hundred_passwords_including_library_words()
    {
        foreach (var word in (string[])["library", "koha", "fiscus", "cashier", "welcome", "qwerty", "iloveyou", "letmein"])
        {
            Assert.Contains("too common", PasswordPolicy.Problem(word + "1234", "cashier", "x"), StringComparison.Ordinal);
        }
    }
}
