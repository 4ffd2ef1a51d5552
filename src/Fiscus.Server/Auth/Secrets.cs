using System.Security.Cryptography;
using System.Text;

namespace Fiscus.Server.Auth;

/// <summary>
/// Random credentials and their stored form. Tokens and client secrets are 256 random bits, so a plain
/// SHA-256 is the right stored form (nothing to brute-force); passwords people choose get PBKDF2 instead.
/// </summary>
public static class Secrets
{
    /// <summary>Prefix of bearer tokens, so secret scanners and people can recognise a leaked one.</summary>
    public const string TokenPrefix = "fst_";

    /// <summary>Prefix of client secrets.</summary>
    public const string ClientSecretPrefix = "fss_";

    public static string NewToken() => TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string NewClientSecret() => ClientSecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string NewClientId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>A password for a person to type once and change: 16 characters without look-alikes.</summary>
    public static string NewPassword()
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return RandomNumberGenerator.GetString(alphabet, 16);
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
