using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fiscus.Staff.Services;

/// <summary>A money write the clerk confirmed, kept until its answer is known: the request exactly as sent, and its key.</summary>
public sealed record PendingWrite(string IdempotencyKey, string Path, string Body, DateTime ConfirmedAt);

/// <summary>
/// Sends money writes so that none is ever made twice: the write gets its <c>Idempotency-Key</c> when the clerk
/// confirms and is stored in the browser (per user, under a slot such as <c>patron-payment-42</c>) before it is sent;
/// a lost answer, a 503 or a reload sends the very same request with the same key until the server answers, and only
/// then is it forgotten. The server replays its stored answer for a key it has seen, so the screen shows the truth.
/// </summary>
public sealed class ConfirmedWrites(FiscusApi api, BrowserStorage storage, StaffSession session, TimeProvider? time = null)
{
    /// <summary>Waits between resends; after the last, the outcome is reported unknown (the write stays stored).</summary>
    public static TimeSpan[] RetryDelays { get; set; } =
        [TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)];

    readonly TimeProvider clock = time ?? TimeProvider.System;

    string Key(string slot) => $"fiscus.{session.User?.UserId}.pending.{slot}";

    /// <summary>The write stored under <paramref name="slot"/> whose answer never came, if any.</summary>
    public Task<PendingWrite?> PendingAsync(string slot) => storage.GetAsync(Key(slot), Wire.Default.PendingWrite);

    /// <summary>
    /// Confirms a write: stores it with a fresh key, then sends it until answered. A slot holds one write: while an earlier
    /// one waits for its answer, confirming again sends <em>that</em> one again (same body, same key) rather than a second.
    /// </summary>
    public async Task<T> SendAsync<TBody, T>(
        string slot, string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> answerType, Action<int>? retrying = null,
        CancellationToken cancellationToken = default)
    {
        if (await PendingAsync(slot) is { } waiting)
        {
            return await ResendAsync(slot, waiting, answerType, retrying, cancellationToken);
        }
        var pending = new PendingWrite(Guid.NewGuid().ToString("N"), path, JsonSerializer.Serialize(body, bodyType), clock.GetUtcNow().UtcDateTime);
        await storage.SetAsync(Key(slot), pending, Wire.Default.PendingWrite);
        return await ResendAsync(slot, pending, answerType, retrying, cancellationToken);
    }

    /// <summary>
    /// Sends a stored write again (same path, body and key) until the server answers: its answer, or its refusal (an
    /// <see cref="ApiException"/> that is not transient: nothing was written). Throws <see cref="ApiUnreachableException"/>
    /// (or a transient <see cref="ApiException"/>) when the retries run out; the write then stays stored.
    /// </summary>
    public async Task<T> ResendAsync<T>(
        string slot, PendingWrite pending, JsonTypeInfo<T> answerType, Action<int>? retrying = null, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var answer = await api.PostJsonAsync(pending.Path, pending.Body, answerType, pending.IdempotencyKey, cancellationToken);
                await storage.RemoveAsync(Key(slot));
                return answer;
            }
            catch (ApiException e) when (!e.Transient && e.Status != 401)
            {
                // Refused: the server stores nothing for a 4xx, so there is nothing to wait for.
                await storage.RemoveAsync(Key(slot));
                throw;
            }
            catch (Exception e) when ((e is ApiUnreachableException || e is ApiException { Transient: true }) && attempt < RetryDelays.Length)
            {
                retrying?.Invoke(attempt + 1);
                await Task.Delay(RetryDelays[attempt], clock, cancellationToken);
            }
        }
    }

    /// <summary>The clerk gives up on a write whose answer never came (it may have been recorded: the screens say so).</summary>
    public ValueTask ForgetAsync(string slot) => storage.RemoveAsync(Key(slot));
}
