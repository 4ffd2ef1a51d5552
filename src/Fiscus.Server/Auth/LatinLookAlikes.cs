using System.Text;

namespace Fiscus.Server.Auth;

/// <summary>
/// Cyrillic and Greek letters drawn like Latin ones, read as the Latin letter they show: <c>раssword</c> with a
/// Cyrillic <c>р</c> and <c>а</c> is <c>password</c> to whoever reads it, and must be to the password policy too.
/// </summary>
/// <remarks>
/// Only the look-alikes people type or paste in practice (after Unicode's confusables list, capitals and small letters
/// apart: a Greek capital Eta looks like H, its small letter does not). A password in Cyrillic or Greek keeps its own
/// letters for everything but these checks; nothing is stored folded.
/// </remarks>
public static class LatinLookAlikes
{
    /// <summary>The Latin letter <paramref name="rune"/> is drawn as, or null when it is not one of the look-alikes.</summary>
    public static char? Of(Rune rune) => rune.Value switch
    {
        // Cyrillic capitals
        0x0410 => 'A', 0x0412 => 'B', 0x0415 => 'E', 0x041A => 'K', 0x041C => 'M', 0x041D => 'H', 0x041E => 'O', 0x0420 => 'P',
        0x0421 => 'C', 0x0422 => 'T', 0x0423 => 'Y', 0x0425 => 'X', 0x0405 => 'S', 0x0406 => 'I', 0x0408 => 'J', 0x04AE => 'Y',
        // Cyrillic small letters
        0x0430 => 'a', 0x0435 => 'e', 0x043E => 'o', 0x0440 => 'p', 0x0441 => 'c', 0x0443 => 'y', 0x0445 => 'x', 0x0455 => 's',
        0x0456 => 'i', 0x0458 => 'j', 0x04BB => 'h', 0x0501 => 'd', 0x051B => 'q', 0x051D => 'w', 0x04CF => 'l',
        // Greek capitals
        0x0391 => 'A', 0x0392 => 'B', 0x0395 => 'E', 0x0396 => 'Z', 0x0397 => 'H', 0x0399 => 'I', 0x039A => 'K', 0x039C => 'M',
        0x039D => 'N', 0x039F => 'O', 0x03A1 => 'P', 0x03A4 => 'T', 0x03A5 => 'Y', 0x03A7 => 'X',
        // Greek small letters
        0x03B1 => 'a', 0x03B9 => 'i', 0x03BD => 'v', 0x03BF => 'o', 0x03C1 => 'p', 0x03C5 => 'u',
        _ => null,
    };
}
