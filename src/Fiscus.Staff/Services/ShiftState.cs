namespace Fiscus.Staff.Services;

/// <summary>
/// The signed-in cashier's cash in or out on its way to Fiscus. Never recorded twice: it goes through
/// <see cref="ConfirmedWrites"/> — a fresh <c>Idempotency-Key</c> when the clerk confirms, stored in the browser before it
/// is sent, and resent with that key (a lost connection, a 503, a reload of the page) until the API answers, so the
/// screen shows the true outcome. (Starting and ending a shift carry the password, which is never stored: those are
/// resent with their key only while the page is open, <see cref="ConfirmedWrites.SendUnstoredAsync{TBody, T}"/>.)
/// </summary>
public sealed class ShiftState(StaffSession session, ConfirmedWrites writes)
{
    const string Slot = "shift-cash-transaction";

    long? loadedFor;

    /// <summary>The transaction confirmed but not answered yet (stored with its key).</summary>
    public PendingWrite? Pending { get; private set; }

    /// <summary>Where the transaction is; <see cref="CheckoutPhase"/> means the same for a cash movement as for a sale.</summary>
    public CheckoutPhase Phase { get; private set; }

    public int Attempt { get; private set; }

    public ApiException? Refusal { get; private set; }

    /// <summary>Why an unanswered transaction was not sent again (its clerk signed out, or it is too old), if that is why.</summary>
    public string? UnknownReason { get; private set; }

    public CashTransaction? Last { get; private set; }

    public event Action? Changed;

    /// <summary>A transaction is in flight or waits for its answer: the form must not change under it.</summary>
    public bool Busy => Pending is not null || Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying;

    /// <summary>Loads this clerk's unanswered cash transaction, if any, from browser storage (once per user).</summary>
    public async Task LoadAsync()
    {
        if (loadedFor == session.User?.UserId)
        {
            return;
        }
        loadedFor = session.User?.UserId;
        Pending = await writes.PendingAsync(Slot);
        Phase = Pending is null ? CheckoutPhase.Idle : CheckoutPhase.Unknown;
        Changed?.Invoke();
    }

    /// <summary>The clerk confirmed: the transaction gets its key, is stored, then sent (and resent) until its outcome is known.</summary>
    public Task ConfirmAsync(CashTransactionRequest request, CancellationToken cancellationToken = default) =>
        Busy ? Task.CompletedTask : RunAsync(() => writes.SendAsync(Slot, "api/v1/shifts/cash-transaction", request,
            ShiftWire.Default.CashTransactionRequest, ShiftWire.Default.ShiftEnvelopeCashTransaction, Retrying, cancellationToken));

    /// <summary>Sends the unanswered transaction again (same request, same key) until the API answers or the retries are spent.</summary>
    public Task SendPendingAsync(CancellationToken cancellationToken = default) =>
        Pending is not { } pending || Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying
            ? Task.CompletedTask
            : RunAsync(() => writes.ResendAsync(Slot, pending, ShiftWire.Default.ShiftEnvelopeCashTransaction, Retrying, cancellationToken));

    async Task RunAsync(Func<Task<ShiftEnvelope<CashTransaction>>> send)
    {
        Refusal = null;
        UnknownReason = null;
        Attempt = 0;
        Phase = CheckoutPhase.Sending;
        Changed?.Invoke();
        try
        {
            Last = (await send()).Data;
            Finish(CheckoutPhase.Done);
        }
        catch (ApiException e) when (!e.Transient && e.Status != 401)
        {
            // A refusal records nothing: the clerk corrects it and confirms again, a new request with a new key.
            Refusal = e;
            Finish(CheckoutPhase.Refused);
        }
        catch (Exception e) when (e is ApiException or ApiUnreachableException)
        {
            // Signed out under our feet, or the retries spent: it stays stored and goes again (same key) unless too old.
            UnknownReason = e is WriteNotSentException ? e.Message : null;
            Pending = await writes.PendingAsync(Slot);
            Phase = CheckoutPhase.Unknown;
            Changed?.Invoke();
        }
    }

    void Retrying(int attempt)
    {
        Attempt = attempt;
        Phase = CheckoutPhase.Retrying;
        Changed?.Invoke();
    }

    /// <summary>The clerk gives up on an unanswered transaction; if it reached Fiscus it stays recorded and shows in the shift.</summary>
    public async Task AbandonPendingAsync()
    {
        if (Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying)
        {
            return;
        }
        await writes.ForgetAsync(Slot);
        Finish(CheckoutPhase.Idle);
    }

    /// <summary>The outcome was read: back to a clean form.</summary>
    public void Acknowledge()
    {
        if (!Busy)
        {
            Phase = CheckoutPhase.Idle;
            Refusal = null;
            Changed?.Invoke();
        }
    }

    void Finish(CheckoutPhase phase)
    {
        Pending = null;
        Phase = phase;
        Changed?.Invoke();
    }
}
