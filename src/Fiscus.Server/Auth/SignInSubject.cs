using System.Net;
using System.Net.Sockets;
using Fiscus.Server.Users;

namespace Fiscus.Server.Auth;

/// <summary>
/// What a sign-in attempt is counted against: the client's address (always), the username tried (password
/// sign-ins) and the signed-in person re-entering their password (shift step-up).
/// </summary>
/// <param name="Address">The client's address as a throttle key: an IPv4 address, or an IPv6 /64 (see <see cref="KeyOf"/>).</param>
/// <param name="Username">
/// The username tried, lower-cased (usernames are case-insensitive); null when it cannot name a user (see <see cref="Of"/>).
/// </param>
/// <param name="PersonId">The staff user re-entering their password.</param>
public sealed record SignInSubject(string Address, string? Username, long? PersonId)
{
    /// <summary>
    /// A name that is not a valid username (<see cref="StaffUsers.IsUsername"/>) names no one: it gets no budget of its
    /// own (<c>admİn</c>, <c>admın</c> or <c>ADMİN</c> must not be a second budget for <c>admin</c>, nor a way to reach it
    /// through PostgreSQL's Unicode <c>lower()</c>), so only the address pays for it. A valid one is ASCII, so
    /// lower-casing it is the same in .NET and PostgreSQL.
    /// </summary>
    public static SignInSubject Of(HttpContext http, string? username) =>
        new(KeyOf(http.Connection.RemoteIpAddress), Normalize(username), null);

    /// <summary>The username as budgets count it (ASCII lower case), or null when it cannot be anyone's.</summary>
    public static string? Normalize(string? username) => StaffUsers.IsUsername(username) ? username!.ToLowerInvariant() : null;

    public static SignInSubject OfPerson(HttpContext http, long userId) => new(KeyOf(http.Connection.RemoteIpAddress), null, userId);

    /// <summary>
    /// An IPv4 address as itself; an IPv6 address as its /64, since one subscriber (or one attacker) gets a whole
    /// /64 and could otherwise use a fresh address for every guess. No address (an in-process test host) is
    /// <c>unknown</c>, one shared budget.
    /// </summary>
    public static string KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPNetwork(new IPAddress(bytes), 64).ToString();
    }

    /// <summary>The key of an address as the audit log stored it (null when it is not an address, e.g. <c>local</c>).</summary>
    public static string? KeyOf(string? stored) => IPAddress.TryParse(stored, out var address) ? KeyOf(address) : null;
}
