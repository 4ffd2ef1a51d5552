using Bunit;
using Fiscus.Staff.Components.Setup;
using Fiscus.Staff.Model;
using Microsoft.JSInterop;

namespace Fiscus.Staff.Tests.Components.Setup;

/// <summary>What guards a destructive act, and what shows a secret once.</summary>
public sealed class ConfirmAndShownOnceTests : BunitContext
{
    [Fact]
    public void The_dialog_confirms_on_enter_goes_back_on_escape_and_ignores_a_held_key()
    {
        var confirmed = 0;
        var cancelled = 0;
        var dialog = Render<ConfirmDialog>(p => p
            .Add(c => c.Title, "Disable ann?")
            .Add(c => c.ConfirmLabel, "Disable")
            .Add(c => c.Confirmed, () => confirmed++)
            .Add(c => c.Cancelled, () => cancelled++));

        dialog.Find("[role=alertdialog]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter", Repeat = true });
        Assert.Equal(0, confirmed);
        dialog.Find("[role=alertdialog]").KeyDown("Escape");
        Assert.Equal(1, cancelled);
        dialog.Find("[role=alertdialog]").KeyDown("Enter");
        Assert.Equal(1, confirmed);
        Assert.Contains("Disable ann?", dialog.Find("h2").TextContent);
    }

    [Fact]
    public void A_busy_dialog_takes_no_second_confirmation_and_shows_the_refusal()
    {
        var confirmed = 0;
        var dialog = Render<ConfirmDialog>(p => p
            .Add(c => c.Title, "Archive Main desk?")
            .Add(c => c.ConfirmLabel, "Archive")
            .Add(c => c.Busy, true)
            .Add(c => c.Problem, "Register 1 holds money not yet cashed up; cash it up before archiving it.")
            .Add(c => c.Confirmed, () => confirmed++));

        dialog.Find("[role=alertdialog]").KeyDown("Enter");

        Assert.Equal(0, confirmed);
        Assert.Contains("cash it up before archiving it", dialog.Find("[role=alert]").TextContent);
        Assert.True(dialog.Find("button.primary").HasAttribute("disabled"));
    }

    [Fact]
    public void The_secret_is_copied_with_the_browsers_clipboard()
    {
        var copy = JSInterop.SetupVoid("navigator.clipboard.writeText", "fss_secret");
        copy.SetVoidResult();
        var shown = Render<ShownOnce>(p => p.Add(c => c.Title, "Secret of Kiosk 1").Add(c => c.Label, "Client secret").Add(c => c.Value, "fss_secret"));

        Assert.Equal("fss_secret", shown.Find("#shown-once-value").GetAttribute("value"));
        Assert.Contains("You will not see it again.", shown.Markup);
        shown.Find("button").Click();

        Assert.Single(copy.Invocations);
        Assert.Equal("Copied to the clipboard.", shown.Find("[role=status]").TextContent);
    }

    [Fact]
    public void Without_a_clipboard_it_says_to_copy_by_hand()
    {
        JSInterop.SetupVoid("navigator.clipboard.writeText", _ => true).SetException(new JSException("not allowed"));
        var shown = Render<ShownOnce>(p => p.Add(c => c.Title, "Password for ann").Add(c => c.Label, "Password").Add(c => c.Value, "abc"));

        shown.Find("button").Click();

        Assert.Contains("copy it by hand", shown.Find("[role=status]").TextContent);
    }

    [Fact]
    public void A_money_field_refuses_what_the_currency_cannot_hold()
    {
        var field = Render<MoneyField>(p => p
            .Add(c => c.Id, "float").Add(c => c.Label, "Starting float").Add(c => c.Currency, new Currency("USD", 2)).Add(c => c.Text, "12.345"));
        Assert.Contains("USD has 2 decimals at most.", field.Find(".field-error").TextContent);

        field.Render(p => p.Add(c => c.Text, "12.34").Add(c => c.ApiError, "starting_float must not be negative"));
        Assert.Contains("must not be negative", field.Find(".field-error").TextContent);
        field.Render(p => p.Add(c => c.Text, "").Add(c => c.ApiError, null));
        Assert.Empty(field.FindAll(".field-error"));
    }
}
