using Bunit;
using Fiscus.Staff.Components;
using Fiscus.Staff.Model;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Tests.Components;

/// <summary>The payment panel: change due as typed, short tenders refused, one key press never takes money.</summary>
public sealed class PaymentPanelTests : BunitContext
{
    static readonly List<PaymentType> Types =
    [
        new("CARD", "Card", CountsAsCash: false, AllowedRefund: true, IsSystem: false, Archived: false),
        new("CASH", "Cash", CountsAsCash: true, AllowedRefund: true, IsSystem: true, Archived: false),
    ];

    IRenderedComponent<PaymentPanel> Render(long total, List<(string, long?)> confirmed) =>
        Render<PaymentPanel>(p => p
            .Add(c => c.Total, total)
            .Add(c => c.PaymentTypes, Types)
            .Add(c => c.Currency, new Currency("USD", 2))
            .Add(c => c.Confirm, ((string PaymentType, long? TenderedMinor) payment) => confirmed.Add(payment)));

    [Fact]
    public void Cash_is_chosen_first_and_the_change_follows_the_tender()
    {
        var confirmed = new List<(string, long?)>();
        var panel = Render(1234, confirmed);
        Assert.Equal("$0.00", panel.Find("[data-testid=change-due]").TextContent);
        panel.Find("#tendered").Input("20");
        Assert.Equal("$7.66", panel.Find("[data-testid=change-due]").TextContent);
        panel.Find("#tendered").Input("10");
        Assert.Contains("$2.34 short", panel.Markup);
        Assert.True(panel.Find("button.primary").HasAttribute("disabled"));
        panel.Find("#tendered").Input("12.345");
        Assert.Contains("USD has 2 decimals at most.", panel.Markup);
        Assert.Empty(confirmed);
    }

    [Fact]
    public void Enter_reviews_and_only_a_second_enter_confirms()
    {
        var confirmed = new List<(string, long?)>();
        var panel = Render(1234, confirmed);
        panel.Find("#tendered").Input("20");
        panel.Find("#tendered").KeyDown("Enter");
        Assert.Empty(confirmed);
        Assert.Contains("Take $12.34 by Cash?", panel.Find("[role=alertdialog]").TextContent);
        Assert.Contains("change $7.66", panel.Find("[role=alertdialog]").TextContent);

        panel.Find("[role=alertdialog]").KeyDown("Escape");
        Assert.Empty(panel.FindAll("[role=alertdialog]"));
        panel.Find("#tendered").KeyDown("Enter");
        panel.Find("[role=alertdialog]").KeyDown("Enter");
        Assert.Equal([("CASH", 2000L)], confirmed);
    }

    [Fact]
    public void A_card_payment_takes_no_tender()
    {
        var confirmed = new List<(string, long?)>();
        var panel = Render(500, confirmed);
        panel.FindAll("input[type=radio]")[0].Change("CARD");
        Assert.Empty(panel.FindAll("#tendered"));
        panel.Find("button.primary").Click();
        panel.Find("[role=alertdialog] button.primary").Click();
        Assert.Equal([("CARD", (long?)null)], confirmed);
    }
}
