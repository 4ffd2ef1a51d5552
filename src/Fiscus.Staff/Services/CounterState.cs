using Fiscus.Staff.Model;

namespace Fiscus.Staff.Services;

public enum CheckoutPhase
{
    /// <summary>Nothing sent: the basket can be changed.</summary>
    Idle,

    /// <summary>Sent, waiting for the answer.</summary>
    Sending,

    /// <summary>The answer was lost (network, restart, 503): sending the same request with the same key again.</summary>
    Retrying,

    /// <summary>Retries spent without an answer: the clerk can try again (same key) when the network is back.</summary>
    Unknown,

    /// <summary>The API refused the sale (a 4xx): nothing was recorded, the basket is as it was.</summary>
    Refused,

    /// <summary>Recorded: <see cref="CounterState.LastSale"/> is the receipt.</summary>
    Done,
}

/// <summary>
/// The counter's state for the signed-in clerk: the basket, the register the till is, and the checkout in flight.
/// <para>
/// Never charges twice: when the clerk confirms, the sale gets a fresh <c>Idempotency-Key</c> and is written to browser
/// storage <em>before</em> it is sent. Until the API answers, every retry (after a network error, a 503, a server
/// restart, a reload of the page, even a new tab after a crash) sends the same request with the same key, so the
/// server records it at most once and answers the true outcome: the sale it recorded, or a refusal that recorded
/// nothing. Only then is the pending checkout forgotten.
/// </para>
/// </summary>
public sealed class CounterState(FiscusApi api, BrowserStorage storage, StaffSession session, TimeProvider? time = null)
{
    /// <summary>Waits between retries of an unanswered checkout; then the clerk decides (the key is kept).</summary>
    public static TimeSpan[] RetryDelays { get; set; } =
        [TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)];

    readonly TimeProvider clock = time ?? TimeProvider.System;

    long? loadedFor;

    public Basket Basket { get; } = new();

    public int? RegisterId { get; private set; }

    public PendingCheckout? Pending { get; private set; }

    public CheckoutPhase Phase { get; private set; }

    public int Attempt { get; private set; }

    public ApiException? Refusal { get; private set; }

    public Sale? LastSale { get; private set; }

    public event Action? Changed;

    string Key(string what) => $"fiscus.{session.User?.UserId}.{what}";

    /// <summary>Loads this clerk's basket, register and any unanswered checkout from browser storage (once per user).</summary>
    public async Task LoadAsync()
    {
        if (loadedFor == session.User?.UserId)
        {
            return;
        }
        loadedFor = session.User?.UserId;
        Basket.Clear();
        if (await storage.GetAsync(Key("basket"), Wire.Default.StoredBasket) is { } stored)
        {
            Basket.Lines = stored.Lines.Select(l => new BasketLine
            {
                DebitType = l.DebitType, Description = l.Description, UnitPriceMinor = l.UnitPriceMinor, Quantity = l.Quantity,
                PriceEditable = l.PriceEditable,
            }).ToList();
            Basket.PatronId = stored.PatronId;
            Basket.PatronLabel = stored.PatronLabel;
        }
        RegisterId = await storage.GetAsync(Key("register"), Wire.Default.Int32) is > 0 and var id ? id : null;
        Pending = await storage.GetAsync(Key("pending-checkout"), Wire.Default.PendingCheckout);
        Phase = Pending is null ? CheckoutPhase.Idle : CheckoutPhase.Unknown;
        Changed?.Invoke();
    }

    public async Task SetRegisterAsync(int registerId)
    {
        RegisterId = registerId;
        await storage.SetAsync(Key("register"), registerId, Wire.Default.Int32);
        Changed?.Invoke();
    }

    /// <summary>Call after every change to the basket: it is stored at once.</summary>
    public async Task SaveBasketAsync()
    {
        if (Phase is CheckoutPhase.Done or CheckoutPhase.Refused)
        {
            Phase = CheckoutPhase.Idle;
        }
        await storage.SetAsync(Key("basket"), new StoredBasket(
            Basket.Lines.Select(l => new StoredBasketLine(l.DebitType, l.Description, l.UnitPriceMinor, l.Quantity, l.PriceEditable)).ToArray(),
            Basket.PatronId, Basket.PatronLabel), Wire.Default.StoredBasket);
        Changed?.Invoke();
    }

    /// <summary>The clerk confirmed: the sale gets its key, is stored, then sent (and retried) until its outcome is known.</summary>
    public async Task ConfirmAsync(string paymentType, long? tenderedMinor, CancellationToken cancellationToken = default)
    {
        if (Pending is not null || RegisterId is not { } registerId || Basket.Problem is not null)
        {
            return;
        }
        var currency = session.Currency;
        var request = new SaleRequest(
            paymentType,
            Basket.Lines.Select(l => new SaleItem(l.DebitType, currency.Wire(l.UnitPriceMinor), l.Quantity, l.Description)).ToArray(),
            tenderedMinor is { } tendered ? currency.Wire(tendered) : null,
            Basket.PatronId);
        Pending = new PendingCheckout(Guid.NewGuid().ToString("N"), registerId, request, Basket.PatronLabel ?? "", clock.GetUtcNow().UtcDateTime);
        await storage.SetAsync(Key("pending-checkout"), Pending, Wire.Default.PendingCheckout);
        await SendPendingAsync(cancellationToken);
    }

    /// <summary>Sends the pending checkout (same key) until the API answers or the retries are spent.</summary>
    public async Task SendPendingAsync(CancellationToken cancellationToken = default)
    {
        if (Pending is not { } pending || Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying)
        {
            return;
        }
        Refusal = null;
        for (Attempt = 0; ; Attempt++)
        {
            Phase = Attempt == 0 ? CheckoutPhase.Sending : CheckoutPhase.Retrying;
            Changed?.Invoke();
            try
            {
                var sale = await api.PostAsync($"api/v1/cash_registers/{pending.CashRegisterId}/sales", pending.Request,
                    Wire.Default.SaleRequest, Wire.Default.Sale, pending.IdempotencyKey, cancellationToken);
                LastSale = sale;
                Basket.Clear();
                await FinishAsync(CheckoutPhase.Done);
                return;
            }
            catch (ApiException e) when (e.Status == 401)
            {
                // Signed out under our feet: the checkout stays stored and resumes (same key) after signing in again.
                Phase = CheckoutPhase.Unknown;
                Changed?.Invoke();
                return;
            }
            catch (ApiException e) when (!e.Transient)
            {
                // A refusal records nothing (the API stores no answer for a 4xx): the clerk fixes the basket and confirms
                // again, which is a new request with a new key.
                Refusal = e;
                await FinishAsync(CheckoutPhase.Refused);
                return;
            }
            catch (Exception e) when (e is ApiException or ApiUnreachableException)
            {
                if (Attempt >= RetryDelays.Length)
                {
                    Phase = CheckoutPhase.Unknown;
                    Changed?.Invoke();
                    return;
                }
                Phase = CheckoutPhase.Retrying;
                Changed?.Invoke();
                await Task.Delay(RetryDelays[Attempt], clock, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The clerk gives up on an unanswered checkout (e.g. the customer left). If the sale reached Fiscus it stays recorded
    /// and shows in the register's session; the basket is kept so nothing typed is lost.
    /// </summary>
    public async Task AbandonPendingAsync()
    {
        if (Phase is CheckoutPhase.Sending or CheckoutPhase.Retrying)
        {
            return;
        }
        await FinishAsync(CheckoutPhase.Idle);
    }

    async Task FinishAsync(CheckoutPhase phase)
    {
        Pending = null;
        Phase = phase;
        await storage.RemoveAsync(Key("pending-checkout"));
        await SaveBasketAsync();
        Phase = phase;
        Changed?.Invoke();
    }
}
