using Dapper;
using Fiscus.Ledger.Money;
using Npgsql;

namespace Fiscus.Ledger.ReferenceData;

/// <summary>
/// First-start set-up of an installation: records its currency and seeds the default reference data, once.
/// Later starts only check that the configured currency is still the one the ledger is counted in.
/// </summary>
public static class Installation
{
    /// <summary>Advisory lock that serializes first-start seeding between instances ("FISCUS" then 2).</summary>
    public const long SeedLockKey = 0x464953435553_0002;

    /// <returns><c>true</c> when this call created the installation (a first start).</returns>
    /// <exception cref="CurrencyMismatchException">The database was created with another currency.</exception>
    public static async Task<bool> EnsureAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Currency currency, string defaultTimeZone,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            $"SELECT pg_advisory_xact_lock({SeedLockKey})", transaction: transaction, cancellationToken: cancellationToken));
        var existing = await connection.QuerySingleOrDefaultAsync<(string Code, short Exponent)?>(new CommandDefinition(
            "SELECT currency_code, currency_exponent FROM installation", transaction: transaction,
            cancellationToken: cancellationToken));
        if (existing is { } row)
        {
            if (!string.Equals(row.Code, currency.Code, StringComparison.Ordinal) || row.Exponent != currency.Exponent)
            {
                throw new CurrencyMismatchException(row.Code, currency.Code);
            }
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO installation (currency_code, currency_exponent, created_at) VALUES (@Code, @Exponent, @now)",
            new { currency.Code, Exponent = (short)currency.Exponent, now }, transaction, cancellationToken: cancellationToken));
        await DefaultReferenceData.SeedAsync(connection, transaction, currency, defaultTimeZone, now, cancellationToken);
        return true;
    }
}

public sealed class CurrencyMismatchException(string stored, string configured) : Exception(
    $"This database keeps its ledger in {stored}, but FISCUS_CURRENCY is {configured}. " +
    $"Amounts are stored in minor units of one currency; set FISCUS_CURRENCY={stored} or use a new database.")
{
    public string StoredCurrency { get; } = stored;
}
