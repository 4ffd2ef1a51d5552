using System.Text.Json.Serialization.Metadata;

namespace Fiscus.Staff.Services;

/// <summary>
/// Where one kind of confirmed money write stands on a screen — a counter checkout, a shift's cash in or out — and the
/// rules every such screen keeps: nothing new while one is in flight or waiting (<see cref="Busy"/>), a refusal recorded
/// nothing and ends it, anything else leaves it stored and unanswered (<see cref="CheckoutPhase.Unknown"/>) to be sent
/// again with its key. The sending itself is <see cref="ConfirmedWrites"/>'.
/// </summary>
public sealed class PendingWriteFlow<T>(ConfirmedWrites writes, StaffSession session, string slot, JsonTypeInfo<T> answerType)
{
    /// <summary>The write confirmed but not answered yet (stored with its key).</summary>
    public PendingWrite? Pending { get; private set; }

    public CheckoutPhase Phase { get; private set; }

    public int Attempt { get; private set; }

    public ApiException? Refusal { get; private set; }

    /// <summary>Why an unanswered write was not sent again (its clerk signed out, or it is too old), if that is why.</summary>
    public string? UnknownReason { get; private set; }

    public event Action? Changed;

    /// <summary>Called with the answer before the phase turns to <see cref="CheckoutPhase.Done"/>, so the screen never shows Done without it.</summary>
    public Action<T>? Recorded { get; init; }

    /// <summary>A write is in flight or waits for its answer: what it was made from must not change under it.</summary>
    public bool Busy => Pending is not null || Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying;

    /// <summary>Reads the signed-in clerk's unanswered write of this kind, if any, from browser storage.</summary>
    public async Task LoadAsync()
    {
        Pending = await writes.PendingAsync(slot);
        Phase = Pending is null ? CheckoutPhase.Idle : CheckoutPhase.Unknown;
        Changed?.Invoke();
    }

    /// <summary>The clerk confirmed: the write gets its key, is stored, then sent until answered. Its answer, or default.</summary>
    public Task<T?> ConfirmAsync<TBody>(string path, TBody body, JsonTypeInfo<TBody> bodyType, CancellationToken cancellationToken = default) =>
        Busy ? Task.FromResult(default(T)) : RunAsync(() => writes.SendAsync(slot, path, body, bodyType, answerType, Retrying, cancellationToken));

    /// <summary>Sends the unanswered write again (same request, same key). Its answer, or default.</summary>
    public Task<T?> ResendAsync(CancellationToken cancellationToken = default) =>
        Pending is not { } pending || Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying
            ? Task.FromResult(default(T))
            : RunAsync(() => writes.ResendAsync(slot, pending, answerType, Retrying, cancellationToken));

    /// <summary>The clerk gives up on an unanswered write; if it reached Fiscus it stays recorded (the screens say where).</summary>
    public async Task<bool> AbandonAsync()
    {
        if (Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying)
        {
            return false;
        }
        await writes.ForgetAsync(slot);
        End(CheckoutPhase.Idle);
        return true;
    }

    /// <summary>The outcome (recorded, or refused) was read: back to a clean form.</summary>
    public void Acknowledge()
    {
        if (Phase is CheckoutPhase.Done or CheckoutPhase.Refused)
        {
            Phase = CheckoutPhase.Idle;
            Refusal = null;
            Changed?.Invoke();
        }
    }

    async Task<T?> RunAsync(Func<Task<T>> send)
    {
        var clerk = session.User?.UserId;
        Refusal = null;
        UnknownReason = null;
        Attempt = 0;
        Phase = CheckoutPhase.Sending;
        Changed?.Invoke();
        try
        {
            var answer = await send();
            Recorded?.Invoke(answer);
            End(CheckoutPhase.Done);
            return answer;
        }
        catch (ApiException e) when (!e.Transient && e.Status != 401)
        {
            // A refusal records nothing: the clerk corrects it and confirms again, a new request with a new key.
            Refusal = e;
            End(CheckoutPhase.Refused);
        }
        catch (Exception e) when (e is ApiException or ApiUnreachableException)
        {
            // Signed out under our feet, or the retries spent: it stays stored, under the clerk who confirmed it, and goes again
            // (same key) when they are back, unless it is too old by then.
            UnknownReason = e is WriteNotSentException ? e.Message : null;
            Pending = await writes.PendingAsync(slot, clerk);
            Phase = CheckoutPhase.Unknown;
            Changed?.Invoke();
        }
        return default;
    }

    void Retrying(int attempt)
    {
        Attempt = attempt;
        Phase = CheckoutPhase.Retrying;
        Changed?.Invoke();
    }

    void End(CheckoutPhase phase)
    {
        Pending = null;
        Phase = phase;
        Changed?.Invoke();
    }
}
