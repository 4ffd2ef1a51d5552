using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fiscus.Ledger;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Commands;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Microsoft.Extensions.Options;

namespace Fiscus.Server.Commands;

/// <summary>What a money endpoint answers once its command has run: status, body, Location, and the audit records.</summary>
public sealed record Reply(int Status, object Body, string? Location, IReadOnlyList<AuditRecord> Audit)
{
    public Reply(int status, object body, string? location, AuditRecord audit) : this(status, body, location, [audit])
    {
    }
}

/// <summary>
/// The HTTP side of a money command, bound with <c>[AsParameters]</c>: who calls, the request, and the one
/// <see cref="CommandRunner"/>. It turns the request's <c>Idempotency-Key</c> header and <c>external_id</c> into
/// the runner's keys, fingerprints the request, and turns the runner's result into the endpoint's wire shape:
/// the stored answer (marked <c>Idempotency-Replayed: true</c> on a replay) or a refusal in the endpoint's error shape.
/// </summary>
public sealed class CommandCall(HttpContext http, Caller caller, CommandRunner runner, FiscusOptions options, NativeJson nativeJson)
{
    public const string KeyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotency-Replayed";

    public HttpContext Http { get; } = http;

    public Caller Caller { get; } = caller;

    public CommandRunner Runner { get; } = runner;

    public FiscusOptions Options { get; } = options;

    public NativeJson NativeJson { get; } = nativeJson;

    public Ledger.Money.Currency Currency => Options.Currency;

    public CancellationToken CancellationToken => Http.RequestAborted;

    /// <summary>The command runner's view of the caller through <paramref name="dialect"/>.</summary>
    public CommandActor Actor(Dialect dialect) => new(Caller.ToLedgerActor(dialect.Interface), AuditActors.From(Caller, Http));

    /// <param name="request">The bound request; with method, path and query it is the fingerprint of a replay.</param>
    /// <param name="externalId">The caller's own reference for the money, when the request carries one: a key as well.</param>
    /// <param name="operation">The ledger operation, in the runner's transaction.</param>
    /// <param name="reply">The answer to send and store, and the audit records, from what the operation did.</param>
    public async Task<IResult> RunAsync<T>(
        Dialect dialect, object? request, string? externalId, Func<CommandScope, Task<Outcome<T>>> operation,
        Func<CommandScope, T, Task<Reply>> reply)
    {
        var keys = new List<IdempotencyKey>();
        var headers = Http.Request.Headers[KeyHeader];
        if (headers.Count > 0)
        {
            var key = headers.ToString();
            if (headers.Count > 1 || key.Length is 0 or > IdempotencyKey.MaxLength)
            {
                return ErrorShapes.Result(400, "invalid_idempotency_key", $"{KeyHeader} must be one value of 1 to {IdempotencyKey.MaxLength} characters.");
            }
            keys.Add(IdempotencyKey.Request(key));
        }
        if (externalId is not null)
        {
            keys.Add(IdempotencyKey.ExternalId(externalId));
        }
        var path = Http.Request.Path + Http.Request.QueryString;
        var command = keys.Count == 0
            ? CommandRequest.Once(Actor(dialect))
            : new CommandRequest(Actor(dialect), keys, Fingerprint(request), Http.Request.Method, path, KeyHeader);
        var json = dialect.Json ?? NativeJson.Options;
        var result = await Runner.RunAsync(command, operation, async (scope, value) =>
        {
            var answer = await reply(scope, value);
            return new Completion(
                new CommandAnswer(answer.Status, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(answer.Body, json), answer.Location),
                answer.Audit);
        }, CancellationToken);
        if (result.Answer is { } sent)
        {
            if (result.Replayed)
            {
                Http.Response.Headers[ReplayedHeader] = "true";
            }
            return new AnswerResult(sent);
        }
        return Refuse(result.Failure!, dialect);
    }

    /// <summary>A refusal in the endpoint's error shape, its fields named as <paramref name="dialect"/> names them.</summary>
    public static IResult Refuse(Failure failure, Dialect? dialect = null)
    {
        if (dialect?.WireNames is { } names)
        {
            failure = failure.WithFieldNames(names);
        }
        return ErrorShapes.Result(ApiProblems.StatusOf(failure.Kind), failure.Code, failure.Message, failure.Errors);
    }

    /// <summary>SHA-256 of method, path with query, and the canonical JSON of the bound request.</summary>
    byte[] Fingerprint(object? request)
    {
        var text = new StringBuilder()
            .Append(Http.Request.Method).Append('\n')
            .Append(Http.Request.Path.Value).Append(Http.Request.QueryString.Value).Append('\n')
            .Append(request is null ? "" : JsonSerializer.Serialize(request, request.GetType()))
            .ToString();
        return SHA256.HashData(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>An answer as the runner stored it: the exact status, content type, body and Location.</summary>
    sealed class AnswerResult(CommandAnswer answer) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => answer.Status;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = answer.Status;
            httpContext.Response.ContentType = answer.ContentType;
            if (answer.Location is not null)
            {
                httpContext.Response.Headers.Location = answer.Location;
            }
            await httpContext.Response.Body.WriteAsync(answer.Body, httpContext.RequestAborted);
        }
    }
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
