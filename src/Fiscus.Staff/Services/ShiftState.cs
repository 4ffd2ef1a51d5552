namespace Fiscus.Staff.Services;

/// <summary>
/// The signed-in cashier's cash in or out on its way to Fiscus. Never recorded twice: it goes through
/// <see cref="ConfirmedWrites"/> — a fresh <c>Idempotency-Key</c> when the clerk confirms, stored in the browser before it
/// is sent, and resent with that key (a lost connection, a 503, a reload of the page) until the API answers, so the
/// screen shows the true outcome. (Starting and ending a shift carry the password, which is never stored: those are
/// resent with their key only while the page is open, <see cref="ConfirmedWrites.SendUnstoredAsync{TBody, T}"/>.)
/// </summary>
public sealed class ShiftState
{
    readonly StaffSession session;
    readonly PendingWriteFlow<ShiftEnvelope<CashTransaction>> transaction;
    long? loadedFor;

    public ShiftState(StaffSession session, ConfirmedWrites writes)
    {
        this.session = session;
        transaction = new PendingWriteFlow<ShiftEnvelope<CashTransaction>>(writes, session, "shift-cash-transaction",
            ShiftWire.Default.ShiftEnvelopeCashTransaction) { Recorded = answer => Last = answer.Data };
        transaction.Changed += () => Changed?.Invoke();
    }

    /// <summary>The transaction confirmed but not answered yet (stored with its key).</summary>
    public PendingWrite? Pending => transaction.Pending;

    /// <summary>Where the transaction is; <see cref="CheckoutPhase"/> means the same for a cash movement as for a sale.</summary>
    public CheckoutPhase Phase => transaction.Phase;

    public int Attempt => transaction.Attempt;

    public ApiException? Refusal => transaction.Refusal;

    /// <summary>Why an unanswered transaction was not sent again (its clerk signed out, or it is too old), if that is why.</summary>
    public string? UnknownReason => transaction.UnknownReason;

    public CashTransaction? Last { get; private set; }

    public event Action? Changed;

    /// <summary>A transaction is in flight or waits for its answer: the form must not change under it.</summary>
    public bool Busy => transaction.Busy;

    /// <summary>Loads this clerk's unanswered cash transaction, if any, from browser storage (once per user).</summary>
    public Task LoadAsync()
    {
        if (loadedFor == session.User?.UserId)
        {
            return Task.CompletedTask;
        }
        loadedFor = session.User?.UserId;
        return transaction.LoadAsync();
    }

    /// <summary>The clerk confirmed: the transaction gets its key, is stored, then sent (and resent) until its outcome is known.</summary>
    public Task ConfirmAsync(CashTransactionRequest request, CancellationToken cancellationToken = default) =>
        transaction.ConfirmAsync("api/v1/shifts/cash-transaction", request, ShiftWire.Default.CashTransactionRequest, cancellationToken);

    /// <summary>Sends the unanswered transaction again (same request, same key) until the API answers or the retries are spent.</summary>
    public Task SendPendingAsync(CancellationToken cancellationToken = default) => transaction.ResendAsync(cancellationToken);

    /// <summary>The clerk gives up on an unanswered transaction; if it reached Fiscus it stays recorded and shows in the shift.</summary>
    public Task AbandonPendingAsync() => transaction.AbandonAsync();

    /// <summary>The outcome was read: back to a clean form.</summary>
    public void Acknowledge() => transaction.Acknowledge();
}
