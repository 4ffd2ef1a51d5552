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
    // The username, in any case; very short names are left alone (they are inside too many words).
    [InlineData("cashier", "casey", "Casey-at-the-bat", "username")]
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
    public void The_common_list_holds_a_few_hundred_passwords_including_library_words()
    {
        foreach (var word in (string[])["library", "koha", "fiscus", "cashier", "welcome", "qwerty", "iloveyou", "letmein"])
        {
            Assert.Contains("too common", PasswordPolicy.Problem(word + "1234", "cashier", "x"), StringComparison.Ordinal);
        }
    }
}
