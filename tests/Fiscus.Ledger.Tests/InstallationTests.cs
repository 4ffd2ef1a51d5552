using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.ReferenceData;
using Fiscus.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Fiscus.Ledger.Tests;

public sealed class InstallationTests() : OwnDatabase("install")
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await new Migrator(DataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    Task<bool> EnsureAsync(string currencyCode)
    {
        Currency.TryFromCode(currencyCode, out var currency);
        return Transactions.RunAsync(DataSource, (connection, transaction) =>
            Installation.EnsureAsync(connection, transaction, currency!, "Europe/London", DateTimeOffset.UtcNow, CancellationToken.None),
            CancellationToken.None);
    }

    [Fact]
    public async Task The_first_start_seeds_reference_data_once()
    {
        Assert.True(await EnsureAsync("USD"));
        Assert.False(await EnsureAsync("USD"));

        await using var connection = await DataSource.OpenConnectionAsync();
        Assert.Equal("Europe/London", await connection.ExecuteScalarAsync<string>("SELECT time_zone FROM libraries WHERE library_id = 'MAIN'"));
        var register = await connection.QuerySingleAsync<(long Float, bool IsDefault)>(
            "SELECT starting_float_minor, library_default FROM cash_registers WHERE library_id = 'MAIN'");
        Assert.Equal((10000L, true), register);
        Assert.Equal(DefaultReferenceData.DebitTypes.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM debit_types"));
        Assert.Equal(["COPY", "PRINT"], await connection.QueryAsync<string>("SELECT code FROM debit_types WHERE can_be_sold ORDER BY code"));
        Assert.Equal(["CASH", "SIP00"], await connection.QueryAsync<string>("SELECT code FROM payment_types WHERE counts_as_cash ORDER BY code"));
        foreach (var code in new[] { "PAYMENT", "PURCHASE", "WRITEOFF", "FORGIVEN", "CREDIT", "REFUND", "CANCELLATION", "OVERPAYMENT" })
        {
            Assert.True(await connection.ExecuteScalarAsync<bool>(
                "SELECT is_system FROM credit_types WHERE code = @code", new { code }), code);
        }
    }

    [Fact]
    public async Task Another_currency_on_an_existing_ledger_is_refused()
    {
        await EnsureAsync("USD");

        var error = await Assert.ThrowsAsync<CurrencyMismatchException>(() => EnsureAsync("EUR"));

        Assert.Equal("USD", error.StoredCurrency);
    }

    [Fact]
    public async Task Seeded_amounts_follow_the_currency_exponent()
    {
        await EnsureAsync("JPY");

        await using var connection = await DataSource.OpenConnectionAsync();
        Assert.Equal(100, await connection.ExecuteScalarAsync<long>("SELECT starting_float_minor FROM cash_registers"));
        // 0.10 of a major unit rounds up to the smallest coin rather than to nothing.
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT default_amount_minor FROM debit_types WHERE code = 'PRINT'"));
    }
}
