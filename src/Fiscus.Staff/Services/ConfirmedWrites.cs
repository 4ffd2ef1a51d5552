using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fiscus.Staff.Services;

/// <summary>
/// A money write the clerk confirmed, kept until its answer is known: the request exactly as sent, its key, and who
/// confirmed it (the server keeps keys per caller, so only they may send it again).
/// </summary>
public sealed record PendingWrite(string IdempotencyKey, string Path, string Body, DateTime ConfirmedAt, long? UserId = null);

/// <summary>
/// Sends money writes so that none is ever made twice: the write gets its <c>Idempotency-Key</c> when the clerk
/// confirms and is stored in the browser (per user, under a slot such as <c>patron-payment-42</c>) before it is sent;
/// a lost answer, a 503 or a reload sends the very same request with the same key until the server answers, and only
/// then is it forgotten. The server replays its stored answer for a key it has seen, so the screen shows the truth.
/// </summary>
public sealed class ConfirmedWrites : IDisposable
{
    /// <summary>Waits between resends; after the last, the outcome is reported unknown (the write stays stored).</summary>
    public static TimeSpan[] RetryDelays { get; set; } =
        [TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)];

    /// <summary>
    /// How old a stored write may be and still be sent again. Fiscus keeps an idempotency key at least 24 hours; after
    /// that, the same key would be claimed afresh and the write made a second time. Half of that leaves room for clocks.
    /// </summary>
    public static readonly TimeSpan MaxResendAge = TimeSpan.FromHours(12);

    readonly FiscusApi api;
    readonly BrowserStorage storage;
    readonly StaffSession session;
    readonly TimeProvider clock;
    CancellationTokenSource stop = new();
    long? signedIn;

    public ConfirmedWrites(FiscusApi api, BrowserStorage storage, StaffSession session, TimeProvider? time = null)
    {
        this.api = api;
        this.storage = storage;
        this.session = session;
        clock = time ?? TimeProvider.System;
        signedIn = session.User?.UserId;
        session.Changed += OnSessionChanged;
    }

    /// <summary>Signing out (or in as someone else) stops every resend in flight: none may go out under another's cookie.</summary>
    void OnSessionChanged()
    {
        if (session.User?.UserId == signedIn)
        {
            return;
        }
        signedIn = session.User?.UserId;
        var old = stop;
        stop = new CancellationTokenSource();
        old.Cancel();
        old.Dispose();
    }

    static string Key(long? userId, string slot) => $"fiscus.{userId}.pending.{slot}";

    /// <summary>The write stored under <paramref name="slot"/> by the signed-in clerk whose answer never came, if any.</summary>
    public Task<PendingWrite?> PendingAsync(string slot) => PendingAsync(slot, session.User?.UserId);

    /// <summary>The write <paramref name="userId"/> stored under <paramref name="slot"/> (whoever is signed in now).</summary>
    public Task<PendingWrite?> PendingAsync(string slot, long? userId) => storage.GetAsync(Key(userId, slot), Wire.Default.PendingWrite);

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
        var pending = new PendingWrite(Guid.NewGuid().ToString("N"), path, JsonSerializer.Serialize(body, bodyType), clock.GetUtcNow().UtcDateTime,
            session.User?.UserId);
        await storage.SetAsync(Key(pending.UserId, slot), pending, Wire.Default.PendingWrite);
        return await ResendAsync(slot, pending, answerType, retrying, cancellationToken);
    }

    /// <summary>
    /// Sends a stored write again (same path, body and key) until the server answers: its answer, or its refusal (an
    /// <see cref="ApiException"/> that is not transient: nothing was written). Throws <see cref="ApiUnreachableException"/>
    /// (or a transient <see cref="ApiException"/>) when the retries run out, and <see cref="WriteNotSentException"/> when the
    /// write is too old to send safely or its clerk is no longer signed in; the write then stays stored.
    /// </summary>
    public async Task<T> ResendAsync<T>(
        string slot, PendingWrite pending, JsonTypeInfo<T> answerType, Action<int>? retrying = null, CancellationToken cancellationToken = default)
    {
        if (clock.GetUtcNow().UtcDateTime - pending.ConfirmedAt > MaxResendAge)
        {
            throw new WriteNotSentException(
                $"This was confirmed at {pending.ConfirmedAt:yyyy-MM-dd HH:mm} UTC and never answered. It is too old to send again safely " +
                "(Fiscus forgets a request's key after a day, and would record it a second time): look for it in the history, then give up on it.");
        }
        try
        {
            var answer = await UntilAnsweredAsync(pending, answerType, retrying, cancellationToken);
            await storage.RemoveAsync(Key(pending.UserId, slot));
            return answer;
        }
        catch (ApiException e) when (!e.Transient && e.Status != 401)
        {
            // Refused: the server stores nothing for a 4xx, so there is nothing to wait for.
            await storage.RemoveAsync(Key(pending.UserId, slot));
            throw;
        }
    }

    /// <summary>
    /// A write that carries a secret — the password asked again to start or end a shift — is never put in the browser's
    /// storage: the caller keeps its key while the page is open, and it is resent with that key, the same way, until the
    /// server answers. Throws as <see cref="ResendAsync{T}"/> does.
    /// </summary>
    public Task<T> SendUnstoredAsync<TBody, T>(
        string idempotencyKey, string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> answerType, Action<int>? retrying = null,
        CancellationToken cancellationToken = default) =>
        UntilAnsweredAsync(new PendingWrite(idempotencyKey, path, JsonSerializer.Serialize(body, bodyType), clock.GetUtcNow().UtcDateTime,
            session.User?.UserId), answerType, retrying, cancellationToken);

    async Task<T> UntilAnsweredAsync<T>(PendingWrite pending, JsonTypeInfo<T> answerType, Action<int>? retrying, CancellationToken cancellationToken)
    {
        var signedOut = stop.Token;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, signedOut);
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (session.User?.UserId != pending.UserId || signedOut.IsCancellationRequested)
            {
                throw new WriteNotSentException(
                    "Whoever confirmed this signed out before Fiscus answered; it is sent again, with its key, when they sign in here again.");
            }
            try
            {
                return await api.PostJsonAsync(pending.Path, pending.Body, answerType, pending.IdempotencyKey, linked.Token);
            }
            catch (Exception e) when ((e is ApiUnreachableException || e is ApiException { Transient: true }) && attempt < RetryDelays.Length)
            {
                retrying?.Invoke(attempt + 1);
                try
                {
                    await Task.Delay(RetryDelays[attempt], clock, linked.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Signed out while waiting: the check at the top of the loop says so.
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Signed out while the request was out: it may have been recorded under the clerk's key; it stays stored.
            }
        }
    }

    /// <summary>The clerk gives up on a write whose answer never came (it may have been recorded: the screens say so).</summary>
    public ValueTask ForgetAsync(string slot) => storage.RemoveAsync(Key(session.User?.UserId, slot));

    public void Dispose()
    {
        session.Changed -= OnSessionChanged;
        stop.Dispose();
    }
}
