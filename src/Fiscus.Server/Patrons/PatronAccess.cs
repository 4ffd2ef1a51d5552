using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Accounts;
using Fiscus.Server.Auth;
using Npgsql;

namespace Fiscus.Server.Patrons;

/// <summary>
/// Whether a caller may see a patron and their account: the patron exists (404) and is within the caller's
/// binding (403 outside_binding). Writes get the same answer from the ledger when it opens the account.
/// </summary>
internal static class PatronAccess
{
    public static async Task<Failure?> CheckAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, long patronId, Caller caller, CancellationToken cancellationToken)
    {
        var libraryId = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT library_id FROM patrons WHERE patron_id = @patronId", new { patronId }, transaction, cancellationToken: cancellationToken));
        return libraryId is null ? PatronAccount.NotFound(patronId) : caller.Binding.CheckPatron(patronId, libraryId);
    }
}
