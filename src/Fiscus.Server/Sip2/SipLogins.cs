using Dapper;
using Fiscus.Server.Auth;
using Npgsql;

namespace Fiscus.Server.Sip2;

// PLACEHOLDER until the siplogins branch lands (it replaces this file).
public sealed class SipLogins(NpgsqlDataSource db, Passwords passwords)
{
    public async Task<SipLogin?> VerifyAsync(string login, string password, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var found = await connection.QuerySingleOrDefaultAsync<SipLogin>(new CommandDefinition(
            $"SELECT {SipLogin.Columns} {SipLogin.From} WHERE s.login = @login", new { login }, cancellationToken: cancellationToken));
        var valid = passwords.Verify(found?.PasswordHash, password).Valid;
        return valid && found is { DisabledAt: null } ? found : null;
    }

    public async Task<SipLogin?> ReloadAsync(long sipLoginId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var found = await connection.QuerySingleOrDefaultAsync<SipLogin>(new CommandDefinition(
            $"SELECT {SipLogin.Columns} {SipLogin.From} WHERE s.sip_login_id = @sipLoginId", new { sipLoginId }, cancellationToken: cancellationToken));
        return found is { DisabledAt: null } ? found : null;
    }
}
