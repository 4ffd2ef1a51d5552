using System.Globalization;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Audit;
using Fiscus.Ledger.Database;
using Fiscus.Server.Auth;
using Fiscus.Server.Sip2;
using Npgsql;

namespace Fiscus.Server.Patrons;

/// <summary>
/// A patron's PIN, which a kiosk sends as SIP2's patron password (AD). Stored as a <see cref="Passwords"/> hash, so the SIP2
/// server checks it with <see cref="Passwords.Verify"/>; written by the API and the command line, never read back by
/// anyone.
/// </summary>
public sealed class PatronPins(NpgsqlDataSource dataSource, Passwords passwords, TimeProvider time)
{
    public const int MinLength = 4;
    public const int MaxLength = 64;

    /// <returns>Why <paramref name="pin"/> cannot be a PIN, or null.</returns>
    public static string? Problem(string pin) =>
        pin.Length is < MinLength or > MaxLength ? $"pin must be {MinLength} to {MaxLength} characters"
        : SipLogins.SipFieldProblem("pin", pin);

    /// <summary>The stored form of a PIN.</summary>
    public string Hash(string pin) => passwords.Hash(pin);

    /// <summary>Sets a patron's PIN, or clears it when <paramref name="pin"/> is null.</summary>
    /// <param name="binding">The caller's: a bound client sets PINs only for its own library's patrons.</param>
    public async Task<Outcome<long>> SetAsync(long patronId, string? pin, Binding binding, AuditActor actor, CancellationToken cancellationToken)
    {
        if (pin is not null && Problem(pin) is { } problem)
        {
            return Failure.Invalid("pin", problem);
        }
        var hash = pin is null ? null : Hash(pin);
        return await Transactions.RunAsync<Outcome<long>>(dataSource, async (connection, transaction) =>
        {
            var libraryId = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT library_id FROM patrons WHERE patron_id = @patronId FOR UPDATE", new { patronId }, transaction,
                cancellationToken: cancellationToken));
            if (libraryId is null)
            {
                return PatronsApi.PatronNotFound(patronId);
            }
            if (binding.CheckPatron(patronId, libraryId) is { } outside)
            {
                return outside;
            }
            await WriteAsync(connection, transaction, patronId, hash, actor, time.GetUtcNow(), cancellationToken);
            return patronId;
        }, cancellationToken);
    }

    /// <summary>The patron with this card number, for the command line (which names patrons as the desk does).</summary>
    public async Task<long?> FindByCardnumberAsync(string cardnumber, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT patron_id FROM patrons WHERE cardnumber = @cardnumber", new { cardnumber }, cancellationToken: cancellationToken));
    }

    /// <summary>Stores a PIN's hash (null clears it) and audits the change, inside the caller's transaction; never the PIN.</summary>
    internal static async Task WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long patronId, string? hash, AuditActor actor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE patrons SET pin_hash = @hash, pin_changed_at = @now WHERE patron_id = @patronId", new { hash, now, patronId }, transaction,
            cancellationToken: cancellationToken));
        await AuditLog.WriteAsync(connection, transaction, actor, now, hash is null ? "patron.pin_cleared" : "patron.pin_set", "patron",
            patronId.ToString(CultureInfo.InvariantCulture), null, cancellationToken);
    }
}
