using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Database;
using Fiscus.Server.Auth;
using Fiscus.Server.Http;
using Npgsql;

namespace Fiscus.Server.Idempotency;

/// <summary>A response as stored for replay: the exact status, content type, body and Location.</summary>
public sealed record StoredResponse(int StatusCode, string ContentType, byte[] Body, string? Location = null) : IResult
{
    public static StoredResponse Json<T>(int statusCode, T value, JsonSerializerOptions options, string? location = null) =>
        new(statusCode, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(value, options), location);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.ContentType = ContentType;
        if (Location is not null)
        {
            httpContext.Response.Headers.Location = Location;
        }
        await httpContext.Response.Body.WriteAsync(Body, httpContext.RequestAborted);
    }
}

/// <summary>
/// What a money write produced: a response to store and send (with the audit record to write beside it), or
/// a refusal (nothing is kept).
/// </summary>
public readonly record struct WriteResult(StoredResponse? Response, IResult? Refusal, Audit.AuditEntry? Audit = null)
{
    public static implicit operator WriteResult(StoredResponse response) => new(response, null);

    public static WriteResult Refused(Failure failure) => new(null, ErrorShapes.Result(
        ApiProblems.StatusOf(failure.Kind), failure.Code, failure.Message, failure.Errors));
}

/// <summary>
/// Stripe-style idempotency for every money-writing request. The <c>Idempotency-Key</c> header (1 to 255
/// characters) and the caller's <c>external_id</c> are both keys, scoped to the authenticated user or
/// client. A request claims its keys first, in the same transaction as the money it writes, so:
/// a replay gets the stored status and body back (marked <c>Idempotency-Replayed: true</c>); the same key
/// with a different request is 422; a twin racing the original waits on the key and then answers with the
/// winner's response; and a refused request stores nothing, so it can be retried with the same key once
/// fixed. Keys are kept for at least <see cref="Retention"/>.
/// </summary>
public sealed class IdempotentWrites(NpgsqlDataSource db, TimeProvider time)
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotency-Replayed";
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    sealed record StoredKey(
        string Key, byte[] RequestHash, int? StatusCode, string? ContentType, byte[]? ResponseBody, string? ResponseLocation, string? RequestPath,
        DateTime ExpiresAt);

    /// <param name="request">The bound request body; hashed (with method and path) to recognise a replay.</param>
    /// <param name="externalId">The caller's own transaction reference, when the request carries one.</param>
    /// <param name="work">The write, in the transaction that also holds the keys.</param>
    public async Task<IResult> RunAsync(
        HttpContext http, Caller caller, object? request, string? externalId,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<WriteResult>> work, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        var headers = http.Request.Headers[HeaderName];
        if (headers.Count > 0)
        {
            var key = headers.ToString();
            if (headers.Count > 1 || key.Length is 0 or > 255)
            {
                return ErrorShapes.Result(400, "invalid_idempotency_key", $"{HeaderName} must be one value of 1 to 255 characters.");
            }
            keys.Add("key:" + key);
        }
        if (externalId is not null)
        {
            keys.Add("external_id:" + externalId);
        }
        if (keys.Count == 0)
        {
            var plain = await Transactions.RunAsync(db, async (connection, transaction) =>
            {
                var result = await work(connection, transaction);
                if (result.Response is not null)
                {
                    await FinishAsync(connection, transaction, result, [], cancellationToken);
                }
                return result;
            }, r => r.Response is not null, cancellationToken);
            return (IResult?)plain.Response ?? plain.Refusal!;
        }

        var hash = RequestHash(http, request);
        var path = http.Request.Path + http.Request.QueryString;
        var outcome = await Transactions.RunAsync(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var claimed = new List<long>();
            // Sorted, so two requests sharing keys claim them in the same order and cannot deadlock.
            foreach (var key in keys.Order(StringComparer.Ordinal))
            {
                var claim = new { caller.Principal, key, hash, method = http.Request.Method, path, now, expires = now + Retention };
                var id = await ClaimAsync(connection, transaction, claim, cancellationToken);
                if (id is null)
                {
                    var stored = await connection.QuerySingleAsync<StoredKey>(new CommandDefinition("""
                        SELECT key, request_hash, status_code, content_type, response_body, response_location, request_path, expires_at
                        FROM idempotency_keys WHERE principal = @Principal AND key = @key
                        """, new { caller.Principal, key }, transaction, cancellationToken: cancellationToken));
                    if (stored.ExpiresAt > now.UtcDateTime)
                    {
                        return (Result: default(WriteResult), Replay: stored);
                    }
                    // A key past its retention that housekeeping has not swept yet: it no longer counts.
                    await connection.ExecuteAsync(new CommandDefinition(
                        "DELETE FROM idempotency_keys WHERE principal = @Principal AND key = @key AND expires_at <= @now",
                        new { caller.Principal, key, now }, transaction, cancellationToken: cancellationToken));
                    id = await ClaimAsync(connection, transaction, claim, cancellationToken);
                    if (id is null)
                    {
                        return (Result: default(WriteResult), Replay: stored with { StatusCode = null });
                    }
                }
                claimed.Add(id.Value);
            }
            var result = await work(connection, transaction);
            if (result.Response is not null)
            {
                await FinishAsync(connection, transaction, result, claimed, cancellationToken);
            }
            return (Result: result, Replay: (StoredKey?)null);
        }, r => r.Replay is null && r.Result.Response is not null, cancellationToken);

        if (outcome.Replay is { } replay)
        {
            return Replay(http, replay, hash);
        }
        return (IResult?)outcome.Result.Response ?? outcome.Result.Refusal!;
    }

    /// <summary>The audit record and the answer stored on the claimed keys, in one round trip.</summary>
    static async Task FinishAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, WriteResult result, List<long> claimed, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (result.Audit is { } audit)
        {
            batch.BatchCommands.Add(Audit.AuditLog.Command(audit));
        }
        if (claimed.Count > 0)
        {
            var response = result.Response!;
            var store = new NpgsqlBatchCommand("""
                UPDATE idempotency_keys SET status_code = $1, content_type = $2, response_body = $3, response_location = $4
                WHERE idempotency_key_id = ANY($5)
                """);
            store.Parameters.Add(new NpgsqlParameter { Value = response.StatusCode });
            store.Parameters.Add(new NpgsqlParameter { Value = response.ContentType });
            store.Parameters.Add(new NpgsqlParameter { Value = response.Body });
            store.Parameters.Add(new NpgsqlParameter { Value = (object?)response.Location ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            store.Parameters.Add(new NpgsqlParameter { Value = claimed.ToArray() });
            batch.BatchCommands.Add(store);
        }
        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Claims a key; waits while a twin holding it is in flight, and gets nothing back once that twin has committed.</summary>
    static Task<long?> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, object claim, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO idempotency_keys (principal, key, request_hash, request_method, request_path, created_at, expires_at)
            VALUES (@Principal, @key, @hash, @method, @path, @now, @expires)
            ON CONFLICT (principal, key) DO NOTHING
            RETURNING idempotency_key_id
            """, claim, transaction, cancellationToken: cancellationToken));

    static IResult Replay(HttpContext http, StoredKey stored, byte[] hash)
    {
        var external = stored.Key.StartsWith("external_id:", StringComparison.Ordinal);
        if (!CryptographicOperations.FixedTimeEquals(stored.RequestHash, hash))
        {
            return external
                ? ErrorShapes.Result(422, "external_id_reused",
                    $"external_id '{stored.Key["external_id:".Length..]}' was already used for a different request ({stored.RequestPath}).",
                    new Dictionary<string, string[]> { ["external_id"] = ["already used for a different request"] })
                : ErrorShapes.Result(422, "idempotency_key_reused",
                    $"This {HeaderName} was already used for a different request ({stored.RequestPath}); use a new key for a new request.");
        }
        if (stored.StatusCode is not { } status)
        {
            return ErrorShapes.Result(409, "idempotency_key_in_use", "The request with this key is still being processed; retry shortly.");
        }
        http.Response.Headers[ReplayedHeader] = "true";
        return new StoredResponse(status, stored.ContentType!, stored.ResponseBody!, stored.ResponseLocation);
    }

    /// <summary>SHA-256 of method, path with query, and the canonical JSON of the bound request.</summary>
    static byte[] RequestHash(HttpContext http, object? request)
    {
        var text = new StringBuilder()
            .Append(http.Request.Method).Append('\n')
            .Append(http.Request.Path.Value).Append(http.Request.QueryString.Value).Append('\n')
            .Append(request is null ? "" : JsonSerializer.Serialize(request, request.GetType()))
            .ToString();
        return SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }
}
