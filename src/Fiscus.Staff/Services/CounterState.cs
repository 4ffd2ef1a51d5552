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
/// Never charges twice: the checkout goes through <see cref="ConfirmedWrites"/> — a fresh <c>Idempotency-Key</c> when the
/// clerk confirms, written to browser storage <em>before</em> it is sent, and until the API answers every retry (after a
/// network error, a 503, a server restart, a reload of the page, even a new tab after a crash) sends the same request
/// with the same key, so the server records it at most once and answers the true outcome: the sale it recorded, or a
/// refusal that recorded nothing. Only then is the pending checkout forgotten.
/// </para>
/// </summary>
public sealed class CounterState
{
    readonly BrowserStorage storage;
    readonly StaffSession session;
    readonly PendingWriteFlow<Sale> checkout;
    long? loadedFor;

    public CounterState(BrowserStorage storage, StaffSession session, ConfirmedWrites writes)
    {
        this.storage = storage;
        this.session = session;
        checkout = new PendingWriteFlow<Sale>(writes, session, "checkout", Wire.Default.Sale) { Recorded = Recorded };
        checkout.Changed += () => Changed?.Invoke();
    }

    public Basket Basket { get; } = new();

    public int? RegisterId { get; private set; }

    /// <summary>The checkout confirmed but not answered yet (stored with its key by <see cref="ConfirmedWrites"/>).</summary>
    public PendingWrite? Pending => checkout.Pending;

    public CheckoutPhase Phase => checkout.Phase;

    public int Attempt => checkout.Attempt;

    public ApiException? Refusal => checkout.Refusal;

    /// <summary>Why an unanswered checkout was not sent again (its clerk signed out, or it is too old), if that is why.</summary>
    public string? UnknownReason => checkout.UnknownReason;

    public Sale? LastSale { get; private set; }

    public event Action? Changed;

    /// <summary>A checkout is in flight or waits for its answer: the basket must not change under it.</summary>
    public bool Busy => checkout.Busy;

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
        await checkout.LoadAsync();
    }

    public async Task SetRegisterAsync(int registerId)
    {
        RegisterId = registerId;
        await storage.SetAsync(Key("register"), registerId, Wire.Default.Int32);
        Changed?.Invoke();
    }

    /// <summary>Call after every change to the basket: it is stored at once (and a shown outcome is put away).</summary>
    public async Task SaveBasketAsync()
    {
        checkout.Acknowledge();
        await StoreBasketAsync();
        Changed?.Invoke();
    }

    /// <summary>The clerk confirmed: the sale gets its key, is stored, then sent (and resent) until its outcome is known.</summary>
    public async Task ConfirmAsync(string paymentType, long? tenderedMinor, CancellationToken cancellationToken = default)
    {
        if (Busy || RegisterId is not { } registerId || Basket.Problem is not null)
        {
            return;
        }
        var currency = session.Currency;
        var request = new SaleRequest(
            paymentType,
            Basket.Lines.Select(l => new SaleItem(l.DebitType, currency.Wire(l.UnitPriceMinor), l.Quantity, l.Description)).ToArray(),
            tenderedMinor is { } tendered ? currency.Wire(tendered) : null,
            Basket.PatronId);
        await checkout.ConfirmAsync($"api/v1/cash_registers/{registerId}/sales", request, Wire.Default.SaleRequest, cancellationToken);
        await StoreBasketAsync();
    }

    /// <summary>Sends the unanswered checkout again (same request, same key) until the API answers or the retries are spent.</summary>
    public async Task SendPendingAsync(CancellationToken cancellationToken = default)
    {
        await checkout.ResendAsync(cancellationToken);
        await StoreBasketAsync();
    }

    /// <summary>
    /// The clerk gives up on an unanswered checkout (e.g. the customer left). If the sale reached Fiscus it stays recorded
    /// and shows in the register's session; the basket is kept so nothing typed is lost.
    /// </summary>
    public Task AbandonPendingAsync() => checkout.AbandonAsync();

    void Recorded(Sale sale)
    {
        LastSale = sale;
        Basket.Clear();
    }

    /// <summary>The basket as it is now, without putting away the outcome the screen is showing.</summary>
    Task StoreBasketAsync() => storage.SetAsync(Key("basket"), new StoredBasket(
        Basket.Lines.Select(l => new StoredBasketLine(l.DebitType, l.Description, l.UnitPriceMinor, l.Quantity, l.PriceEditable)).ToArray(),
        Basket.PatronId, Basket.PatronLabel), Wire.Default.StoredBasket).AsTask();
}
