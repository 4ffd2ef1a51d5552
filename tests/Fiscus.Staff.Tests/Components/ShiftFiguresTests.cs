using Bunit;
using Fiscus.Staff.Components;
using Fiscus.Staff.Model;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Tests.Components;

/// <summary>A shift's figures: the cashier's, and the register's books beside them only when the API sends them.</summary>
public sealed class ShiftFiguresTests : BunitContext
{
    static readonly CashierShift Closed = new(Guid.NewGuid(), Guid.NewGuid(), StartCash: 0, Status: "closed", StartTime: DateTime.UtcNow,
        CashRegisterId: 1, EndTime: DateTime.UtcNow, ExpectedCashEnd: 0, ActualCashEnd: 0, Difference: 0, CashIn: 0, CashOut: 0);

    IRenderedComponent<ShiftFigures> Render(CashierShift shift) =>
        Render<ShiftFigures>(p => p.Add(c => c.Shift, shift).Add(c => c.Currency, new Currency("USD", 2)));

    [Fact]
    public void Without_the_books_only_the_cashiers_figures_show()
    {
        var figures = Render(Closed);
        Assert.Equal("balanced", figures.Find("[data-testid=difference]").TextContent);
        Assert.DoesNotContain("books", figures.Markup);
    }

    [Fact]
    public void The_books_show_beside_them_when_present()
    {
        // The review's case: a start cash of 0 declared at a drawer whose books hold 114.00, and 0 counted at the end.
        var figures = Render(Closed with { BooksCashStart = 11400, OpeningDifference = -11400, BooksCashEnd = 11400, BooksDifference = -11400 });
        Assert.Equal("balanced", figures.Find("[data-testid=difference]").TextContent);
        Assert.Equal("deficit $114.00", figures.Find("[data-testid=opening-difference]").TextContent);
        Assert.Equal("deficit $114.00", figures.Find("[data-testid=books-difference]").TextContent);
        Assert.Contains("Register’s books at the start", figures.Markup);
        Assert.Contains("$114.00", figures.Find("dl").TextContent);
    }
}
