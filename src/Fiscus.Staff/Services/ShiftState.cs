namespace Fiscus.Staff.Services;

/// <summary>
/// The signed-in cashier's cash in or out on its way to Fiscus. Never recorded twice: when the clerk confirms, the
/// transaction gets a fresh <c>Idempotency-Key</c> and is written to browser storage before it is sent; until the API
/// answers, every retry (a lost connection, a 503, a reload of the page) sends the same request with the same key,
/// and the screen shows the true outcome. (Starting and ending a shift carry the password, which is never stored:
/// those are retried with their key only while the page is open.)
/// </summary>
public sealed class ShiftState(FiscusApi api, BrowserStorage storage, StaffSession session, TimeProvider? time = null)
{
    long? loadedFor;

    public PendingCashTransaction? Pending { get; private set; }

    /// <summary>Where the pending transaction is; <see cref="CheckoutPhase"/> means the same for a cash movement as for a sale.</summary>
    public CheckoutPhase Phase { get; private set; }

    public int Attempt { get; private set; }

    public ApiException? Refusal { get; private set; }

    public CashTransaction? Last { get; private set; }

    public event Action? Changed;

    string Key => $"fiscus.{session.User?.UserId}.pending-cash-transaction";

    /// <summary>Loads this clerk's unanswered cash transaction, if any, from browser storage (once per user).</summary>
    public async Task LoadAsync()
    {
        if (loadedFor == session.User?.UserId)
        {
            return;
        }
        loadedFor = session.User?.UserId;
        Pending = await storage.GetAsync(Key, ShiftWire.Default.PendingCashTransaction);
        Phase = Pending is null ? CheckoutPhase.Idle : CheckoutPhase.Unknown;
        Changed?.Invoke();
    }

    /// <summary>The clerk confirmed: the transaction gets its key, is stored, then sent (and retried) until its outcome is known.</summary>
    public async Task ConfirmAsync(CashTransactionRequest request, CancellationToken cancellationToken = default)
    {
        if (Pending is not null)
        {
            return;
        }
        Pending = new PendingCashTransaction(Guid.NewGuid().ToString("N"), request, (time ?? TimeProvider.System).GetUtcNow().UtcDateTime);
        await storage.SetAsync(Key, Pending, ShiftWire.Default.PendingCashTransaction);
        await SendPendingAsync(cancellationToken);
    }

    /// <summary>Sends the pending transaction (same key) until the API answers or the retries are spent.</summary>
    public async Task SendPendingAsync(CancellationToken cancellationToken = default)
    {
        if (Pending is not { } pending || Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying)
        {
            return;
        }
        Refusal = null;
        Attempt = 0;
        Phase = CheckoutPhase.Sending;
        Changed?.Invoke();
        try
        {
            var answer = await Retrying.SendAsync(ct => api.PostAsync("api/v1/shifts/cash-transaction", pending.Request,
                    ShiftWire.Default.CashTransactionRequest, ShiftWire.Default.ShiftEnvelopeCashTransaction, pending.IdempotencyKey, ct),
                attempt =>
                {
                    Attempt = attempt;
                    Phase = CheckoutPhase.Retrying;
                    Changed?.Invoke();
                }, time, cancellationToken);
            Last = answer.Data;
            await FinishAsync(CheckoutPhase.Done);
        }
        catch (ApiException e) when (e.Status == 401 || e.Transient)
        {
            // Signed out under our feet, or retries spent: the transaction stays stored and goes again (same key).
            Phase = CheckoutPhase.Unknown;
            Changed?.Invoke();
        }
        catch (ApiException e)
        {
            // A refusal records nothing (the API stores no answer for a 4xx): the clerk corrects it and confirms again,
            // which is a new request with a new key.
            Refusal = e;
            await FinishAsync(CheckoutPhase.Refused);
        }
        catch (ApiUnreachableException)
        {
            Phase = CheckoutPhase.Unknown;
            Changed?.Invoke();
        }
    }

    /// <summary>The clerk gives up on an unanswered transaction; if it reached Fiscus it stays recorded and shows in the shift.</summary>
    public async Task AbandonPendingAsync()
    {
        if (Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying)
        {
            return;
        }
        await FinishAsync(CheckoutPhase.Idle);
    }

    /// <summary>The outcome was read: back to a clean form.</summary>
    public void Acknowledge()
    {
        if (Pending is null)
        {
            Phase = CheckoutPhase.Idle;
            Refusal = null;
            Changed?.Invoke();
        }
    }

    async Task FinishAsync(CheckoutPhase phase)
    {
        Pending = null;
        Phase = phase;
        await storage.RemoveAsync(Key);
        Changed?.Invoke();
    }
}
