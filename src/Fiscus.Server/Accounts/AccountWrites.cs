using System.Globalization;
using System.Text.Json;
using Fiscus.Ledger;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Money;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Idempotency;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fiscus.Server.Accounts;

/// <summary>What a written account command answers: its status, body, Location and the audit record.</summary>
public sealed record AccountAnswer(int Status, object Body, string? Location, string AuditEntityId, object? AuditDetails);

/// <summary>
/// The one way every dialect writes to a patron account: idempotency keys claimed, the patron locked, the
/// ledger operation run, the audit record written and the answer stored, all in one transaction. A refusal
/// at any step rolls everything back.
/// </summary>
public sealed class AccountWrites(IdempotentWrites idempotency, TimeProvider time, FiscusOptions options)
{
    public Task<IResult> RunAsync<T>(
        HttpContext http, Caller caller, string interfaceName, long patronId, object request, string? externalId, string auditAction,
        Func<PatronAccount, Task<Outcome<T>>> operation,
        Func<T, NpgsqlConnection, NpgsqlTransaction, Task<AccountAnswer>> answer,
        JsonSerializerOptions json, CancellationToken cancellationToken, ReferencePreload? preload = null,
        IReadOnlyDictionary<string, string>? wireNames = null) =>
        idempotency.RunAsync(http, caller, request, externalId, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var opened = await PatronAccount.OpenForWriteAsync(connection, transaction, patronId, caller.ToLedgerActor(interfaceName), now,
                cancellationToken, preload);
            if (opened.Failure is { } closed)
            {
                return WriteResult.Refused(closed);
            }
            var outcome = await operation(opened.Value!);
            if (outcome.Failure is { } refused)
            {
                return WriteResult.Refused(wireNames is null ? refused : refused.WithFieldNames(wireNames));
            }
            var reply = await answer(outcome.Value!, connection, transaction);
            var audit = new AuditEntry(AuditActor.From(caller, http), now, auditAction, "account_line", reply.AuditEntityId, reply.AuditDetails);
            return new WriteResult(StoredResponse.Json(reply.Status, reply.Body, json, reply.Location), null, audit);
        }, cancellationToken);

    public Currency Currency => options.Currency;
}

public static class LedgerActorExtensions
{
    /// <summary>The ledger's view of the caller: who, where it is confined to, and what it may do.</summary>
    public static LedgerActor ToLedgerActor(this Caller caller, string interfaceName) => new(
        caller.UserId, caller.ApiClientId, interfaceName, caller.LibraryId, caller.Binding, caller.Scopes);
}

/// <summary>The native API's JSON options, for bodies Fiscus serializes itself (stored for idempotent replay).</summary>
public sealed class NativeJson(IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> options)
{
    public JsonSerializerOptions Options => options.Value.SerializerOptions;
}

internal static class Ids
{
    public static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}
