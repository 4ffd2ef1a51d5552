using Bunit;
using Fiscus.Staff.Components.Setup;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Tests.Components.Setup;

/// <summary>
/// A new tender, or a change to whether one counts as cash, needs refunds:write as well as reference:write: the form says so
/// instead of failing on Save, and an edit that leaves counts_as_cash alone never sends it.
/// </summary>
public sealed class PaymentTypeFormTests : BunitContext
{
    static readonly PaymentTypeDetails Card = new("CARD", "Card", CountsAsCash: false, AllowedRefund: true, IsSystem: false, Archived: false);

    static readonly PaymentTypeDetails Cash = new("CASH", "Cash", CountsAsCash: true, AllowedRefund: true, IsSystem: true, Archived: false);

    IRenderedComponent<PaymentTypeForm> Render(PaymentTypeDetails? existing, bool canRefund, List<object> sent) =>
        Render<PaymentTypeForm>(p => p
            .Add(c => c.Existing, existing)
            .Add(c => c.CanRefund, canRefund)
            .Add(c => c.Created, (NewPaymentType request) => sent.Add(request))
            .Add(c => c.Updated, (PaymentTypeUpdate request) => sent.Add(request)));

    [Fact]
    public void Without_refunds_write_counts_as_cash_is_locked_and_says_why()
    {
        var form = Render(Card, canRefund: false, []);

        Assert.True(form.Find("#payment-cash").HasAttribute("disabled"));
        Assert.Contains("needs the refunds:write permission as well", form.Find("#payment-cash-hint").TextContent);
        Assert.False(form.Find("#payment-refund").HasAttribute("disabled"));
    }

    [Fact]
    public void A_system_type_never_changes_whether_it_counts_as_cash()
    {
        var form = Render(Cash, canRefund: true, []);

        Assert.True(form.Find("#payment-cash").HasAttribute("disabled"));
        Assert.Contains(PaymentTypeForm.SystemCash, form.Find("#payment-cash-hint").TextContent);
        Assert.True(form.Find("#payment-code").HasAttribute("disabled"));
    }

    [Fact]
    public void An_edit_sends_counts_as_cash_only_when_it_changed()
    {
        var sent = new List<object>();
        var form = Render(Card, canRefund: true, sent);
        form.Find("#payment-description").Input("Card (chip and PIN)");
        form.Find("form").Submit();
        form.Find("#payment-cash").Change(true);
        form.Find("form").Submit();

        Assert.Equal([new PaymentTypeUpdate("Card (chip and PIN)", null, true), new PaymentTypeUpdate("Card (chip and PIN)", true, true)], sent);
    }

    [Fact]
    public void A_new_type_needs_a_code_and_a_description_before_it_is_sent()
    {
        var sent = new List<object>();
        var form = Render(null, canRefund: true, sent);
        form.Find("form").Submit();
        Assert.Empty(sent);
        Assert.Contains("Enter a code.", form.Find("#payment-code ~ .field-error").TextContent);
        Assert.Contains("Enter a description.", form.Find("#payment-description ~ .field-error").TextContent);

        form.Find("#payment-code").Input(" VOUCHER ");
        form.Find("#payment-description").Input("Gift voucher");
        form.Find("#payment-refund").Change(false);
        form.Find("form").Submit();

        Assert.Equal([new NewPaymentType("VOUCHER", "Gift voucher", false, false)], sent);
    }
}
