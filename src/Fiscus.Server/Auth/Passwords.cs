using Microsoft.AspNetCore.Identity;

namespace Fiscus.Server.Auth;

/// <summary>Staff passwords: ASP.NET Core Identity's PBKDF2 hasher (the rules a password must meet are <see cref="PasswordPolicy"/>).</summary>
public sealed class Passwords
{
    readonly PasswordHasher<object> hasher = new();
    // Verified against when the username is unknown, so a failed login takes as long either way.
    readonly string decoyHash;

    public Passwords() => decoyHash = hasher.HashPassword(Subject, Secrets.NewPassword());

    static readonly object Subject = new();

    public string Hash(string password) => hasher.HashPassword(Subject, password);

    /// <returns>Whether the password matches, and whether the stored hash should be upgraded.</returns>
    public (bool Valid, bool RehashNeeded) Verify(string? hash, string password)
    {
        var result = hasher.VerifyHashedPassword(Subject, hash ?? decoyHash, password);
        return hash is null
            ? (false, false)
            : (result != PasswordVerificationResult.Failed, result == PasswordVerificationResult.SuccessRehashNeeded);
    }
}
