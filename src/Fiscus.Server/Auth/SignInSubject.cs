using System.Net;
using System.Net.Sockets;
using Fiscus.Server.Users;

namespace Fiscus.Server.Auth;

/// <summary>
/// What a sign-in attempt is counted against: the client's address (password and secret sign-ins), the username tried,
/// and the signed-in person re-entering their password (shift step-up, which also counts under their username).
/// </summary>
/// <param name="Address">The client's address as a throttle key: an IPv4 address, or an IPv6 /64 (see <see cref="KeyOf(IPAddress?)"/>).</param>
/// <param name="Username">
/// The username tried, lower-cased (usernames are case-insensitive); null when it cannot name a user (see <see cref="Of"/>).
/// </param>
/// <param name="PersonId">The staff user re-entering their password.</param>
public sealed record SignInSubject(string Address, string? Username, long? PersonId)
{
    /// <summary>
    /// The address's wider network (an IPv4 /24, an IPv6 /48): what its failures are counted under once the exact budgets
    /// of a window are all taken, so that a flood of fresh addresses shares the budgets of its networks, not one for all.
    /// </summary>
    public string Prefix { get; init; } = Address;

    /// <summary>
    /// A name that is not a valid username (<see cref="StaffUsers.IsUsername"/>) names no one: it gets no budget of its
    /// own (<c>admİn</c>, <c>admın</c> or <c>ADMİN</c> must not be a second budget for <c>admin</c>, nor a way to reach it
    /// through PostgreSQL's Unicode <c>lower()</c>), so only the address pays for it. A valid one is ASCII, so
    /// lower-casing it is the same in .NET and PostgreSQL.
    /// </summary>
    public static SignInSubject Of(HttpContext http, string? username) => From(http.Connection.RemoteIpAddress, Normalize(username), null);

    /// <summary>
    /// A signed-in person re-entering their password: counted as that person (colleagues share a till's address) and
    /// under their username, so a stolen session has no budget of guesses beyond the one logins spend.
    /// </summary>
    public static SignInSubject OfPerson(HttpContext http, long userId, string username) =>
        From(http.Connection.RemoteIpAddress, Normalize(username), userId);

    /// <summary>The username as budgets count it (ASCII lower case), or null when it cannot be anyone's.</summary>
    public static string? Normalize(string? username) => StaffUsers.IsUsername(username) ? username!.ToLowerInvariant() : null;

    static SignInSubject From(IPAddress? address, string? username, long? personId) =>
        new(KeyOf(address), username, personId) { Prefix = PrefixOf(address) };

    /// <summary>
    /// An IPv4 address as itself; an IPv6 address as its /64, since one subscriber (or one attacker) gets a whole
    /// /64 and could otherwise use a fresh address for every guess. No address (an in-process test host) is
    /// <c>unknown</c>, one shared budget.
    /// </summary>
    public static string KeyOf(IPAddress? address) => NetworkOf(address, 32, 64);

    /// <summary>The key of an address as the audit log stored it (null when it is not an address, e.g. <c>local</c>).</summary>
    public static string? KeyOf(string? stored) => IPAddress.TryParse(stored, out var address) ? KeyOf(address) : null;

    static string PrefixOf(IPAddress? address) => NetworkOf(address, 24, 48);

    static string NetworkOf(IPAddress? address, int ipv4Bits, int ipv6Bits)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var v4 = address.AddressFamily != AddressFamily.InterNetworkV6;
        var bits = v4 ? ipv4Bits : ipv6Bits;
        if (v4 && bits == 32)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(bits - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPNetwork(new IPAddress(bytes), bits).ToString();
    }
}
