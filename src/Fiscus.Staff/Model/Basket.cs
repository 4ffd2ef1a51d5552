namespace Fiscus.Staff.Model;

/// <summary>One line of a counter sale: a sellable debit type at a unit price (minor units) and a quantity.</summary>
public sealed class BasketLine
{
    public required string DebitType { get; init; }

    public required string Description { get; set; }

    public long UnitPriceMinor { get; set; }

    public int Quantity { get; set; } = 1;

    /// <summary>Whether the clerk may change the price (a debit type with no default amount, or staff allowed to).</summary>
    public bool PriceEditable { get; init; }

    public long TotalMinor => UnitPriceMinor * Quantity;
}

/// <summary>
/// What the customer is buying. Kept in the browser's storage after every change, so a reload or a crash of the tab
/// loses nothing. Quantities are 1..999 (the API's bound); totals are exact minor units.
/// </summary>
public sealed class Basket
{
    public const int MaxQuantity = 999;

    public List<BasketLine> Lines { get; set; } = [];

    public long? PatronId { get; set; }

    public string? PatronLabel { get; set; }

    public long TotalMinor => Lines.Sum(l => l.TotalMinor);

    public int ItemCount => Lines.Sum(l => l.Quantity);

    public bool IsEmpty => Lines.Count == 0;

    /// <summary>Adds one of a type: a second tap on the same item at the same price adds to its quantity.</summary>
    public BasketLine Add(string debitType, string description, long unitPriceMinor, bool priceEditable)
    {
        var line = Lines.FirstOrDefault(l => l.DebitType == debitType && l.UnitPriceMinor == unitPriceMinor);
        if (line is not null && line.Quantity < MaxQuantity)
        {
            line.Quantity++;
            return line;
        }
        line = new BasketLine
        {
            DebitType = debitType, Description = description, UnitPriceMinor = unitPriceMinor, PriceEditable = priceEditable,
        };
        Lines.Add(line);
        return line;
    }

    public void SetQuantity(BasketLine line, int quantity)
    {
        if (quantity <= 0)
        {
            Lines.Remove(line);
            return;
        }
        line.Quantity = Math.Min(quantity, MaxQuantity);
    }

    public void Remove(BasketLine line) => Lines.Remove(line);

    public void Clear()
    {
        Lines.Clear();
        PatronId = null;
        PatronLabel = null;
    }

    /// <summary>Why the basket cannot be sold as it is, or null: an empty basket, a line at no price.</summary>
    public string? Problem => IsEmpty ? "The basket is empty." :
        Lines.FirstOrDefault(l => l.UnitPriceMinor <= 0) is { } free ? $"Enter a price for {free.Description}." : null;
}
