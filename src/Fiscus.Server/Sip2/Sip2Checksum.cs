using System.Globalization;

namespace Fiscus.Server.Sip2;

/// <summary>
/// SIP2's error detection: <c>AY</c> (a sequence digit) and <c>AZ</c> (a checksum) end a message when the kiosk has
/// error detection on. The checksum is the two's complement of the 16-bit sum of every byte from the command id up to
/// and including <c>AZ</c>, as four hex digits; a message is intact when its bytes and the checksum's value sum to zero.
/// </summary>
public static class Sip2Checksum
{
    /// <summary>The four uppercase hex digits for these bytes (which end with <c>AZ</c>).</summary>
    public static string Compute(ReadOnlySpan<byte> throughAz)
    {
        var sum = 0;
        foreach (var b in throughAz)
        {
            sum += b;
        }
        return (-sum & 0xFFFF).ToString("X4", CultureInfo.InvariantCulture);
    }

    /// <summary>Whether <paramref name="hex"/> (either case) is the checksum of <paramref name="throughAz"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> throughAz, ReadOnlySpan<byte> hex)
    {
        if (hex.Length != 4)
        {
            return false;
        }
        var value = 0;
        foreach (var b in hex)
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }
            value = (value << 4) | digit;
        }
        var sum = 0;
        foreach (var b in throughAz)
        {
            sum += b;
        }
        return ((sum + value) & 0xFFFF) == 0;
    }
}
