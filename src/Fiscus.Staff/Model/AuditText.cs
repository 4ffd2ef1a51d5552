using System.Globalization;
using System.Text.Json;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Model;

/// <summary>
/// An audit entry in words a manager reads: what was done ("Refunded a payment"), by whom ("ann", or "someone at
/// 192.0.2.7, as ‘ann’" for a sign-in that failed) and what else it recorded. An action this app does not know is shown
/// by its name: the log may hold actions newer than the app.
/// </summary>
public static class AuditText
{
    /// <summary>The categories the screen offers, in the API's names, with their labels.</summary>
    public static readonly IReadOnlyList<(string Name, string Label)> Categories =
    [
        ("voids", "Voids"), ("refunds", "Refunds"), ("writeoffs", "Write-offs"), ("cancellations", "Cancellations"), ("cashups", "Cash-ups"),
        ("shifts", "Shifts"), ("failed_sign_ins", "Failed sign-ins"), ("sign_ins", "Sign-ins"), ("payments", "Payments"), ("charges", "Charges"),
        ("sales", "Sales"), ("patrons", "Patrons"), ("users", "Users"), ("clients", "API clients"), ("kiosks", "Kiosks"), ("setup", "Setup"),
    ];

    static readonly Dictionary<string, string> Actions = new(StringComparer.Ordinal)
    {
        ["account.void"] = "Voided a payment",
        ["account.refund"] = "Refunded a payment",
        ["pos.refund"] = "Refunded a sold item",
        ["account.writeoff"] = "Wrote off a charge",
        ["account.cancel"] = "Cancelled a charge",
        ["account.credit"] = "Took a payment or credit",
        ["account.payment_intake"] = "Took a payment (intake)",
        ["polaris.pay"] = "Took a payment (Polaris)",
        ["account.debit"] = "Added a charge or payout",
        ["pos.sale"] = "Sold at the counter",
        ["cashup.start"] = "Started counting a drawer",
        ["cashup.complete"] = "Cashed up",
        ["shift.start"] = "Started a shift",
        ["shift.end"] = "Ended their shift",
        ["shift.end_by_manager"] = "Closed a shift left open",
        ["shift.cash_transaction"] = "Paid cash in or out",
        ["shift.opening_difference"] = "Started a shift off the books",
        ["auth.login"] = "Signed in",
        ["auth.basic"] = "Signed in (HTTP Basic)",
        ["auth.logout"] = "Signed out",
        ["auth.token"] = "Got a client token",
        ["auth.login_failed"] = "Failed sign-in",
        ["auth.basic_failed"] = "Failed sign-in (HTTP Basic)",
        ["auth.token_failed"] = "Failed client sign-in",
        ["auth.step_up_failed"] = "Wrong password at a shift",
        ["auth.locked_out"] = "Sign-ins locked out",
        ["auth.throttled"] = "Sign-ins throttled",
        ["user.create"] = "Added a user",
        ["user.update"] = "Changed a user",
        ["user.disable"] = "Disabled a user",
        ["user.enable"] = "Enabled a user",
        ["user.password_reset"] = "Reset a password",
        ["client.create"] = "Added an API client",
        ["client.update"] = "Changed an API client",
        ["client.disable"] = "Disabled an API client",
        ["client.enable"] = "Enabled an API client",
        ["client.rotate_secret"] = "Rotated a client's secret",
        ["sip.login"] = "Kiosk signed in (SIP2)",
        ["sip.login_failed"] = "Failed kiosk sign-in (SIP2)",
        ["sip.fee_paid"] = "Took a payment (SIP2 kiosk)",
        ["sip.fee_paid_refused"] = "Refused a kiosk payment (SIP2)",
        ["sip.pin_failed"] = "Wrong PIN at a kiosk (SIP2)",
        ["sip_login.create"] = "Added a SIP login",
        ["sip_login.update"] = "Changed a SIP login",
        ["sip_login.disable"] = "Disabled a SIP login",
        ["sip_login.enable"] = "Enabled a SIP login",
        ["sip_login.password"] = "Changed a SIP login's password",
        ["patron.pin_set"] = "Set a patron's PIN",
        ["patron.pin_cleared"] = "Cleared a patron's PIN",
        ["patron.create"] = "Added a patron",
        ["patron.update"] = "Changed a patron",
        ["patron.secure"] = "Secured a patron's account",
        ["patron.unsecure"] = "Unsecured a patron's account",
    };

    /// <summary>Details shown elsewhere in the row, or lists of ids that say nothing to a reader.</summary>
    static readonly HashSet<string> Shown = new(StringComparer.Ordinal) { "patron_id", "cash_register_id", "created" };

    /// <summary>A sign-in's details name who it was tried as, which <see cref="Who"/> says.</summary>
    static readonly HashSet<string> ShownForSignIns = new(StringComparer.Ordinal) { "username", "client_id" };

    public static string What(string action) => Actions.TryGetValue(action, out var label) ? label : action;

    /// <summary>
    /// Who did it: the username or client name; for a sign-in that failed, nobody was signed in, so the address and the
    /// name that was tried.
    /// </summary>
    public static string Who(AuditEntry entry)
    {
        if (entry.UserId is not null || entry.ClientId is not null)
        {
            return entry.ActorName;
        }
        var tried = Tried(entry);
        var who = entry.ActorName == "anonymous" ? (entry.RemoteAddress is { } address ? $"someone at {address}" : "someone") : entry.ActorName;
        return tried is null ? who : $"{who}, as ‘{tried}’";
    }

    /// <summary>
    /// The actor filter that shows this actor's entries alone: the username or client id, for a failed sign-in the name it
    /// tried, else the actor as recorded (<c>system</c>, <c>cli (root)</c>).
    /// </summary>
    public static string ActorFilter(AuditEntry entry) =>
        entry.Username ?? entry.ClientId ?? (entry.UserId is { } id ? $"user:{id.ToString(CultureInfo.InvariantCulture)}" : null)
        ?? Tried(entry) ?? entry.Actor;

    /// <summary>The rest of what the act recorded, as "name: value" pairs (nested values as compact JSON).</summary>
    public static IReadOnlyList<(string Name, string Value)> Details(AuditEntry entry)
    {
        if (entry.Details is not { ValueKind: JsonValueKind.Object } details)
        {
            return [];
        }
        return details.EnumerateObject()
            .Where(p => !Shown.Contains(p.Name) && !(SignIn(entry) && ShownForSignIns.Contains(p.Name)) && p.Value.ValueKind != JsonValueKind.Null)
            .Select(p => (p.Name.Replace('_', ' '), p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.True => "yes",
                JsonValueKind.False => "no",
                _ => p.Value.GetRawText(),
            }))
            .ToList();
    }

    static bool SignIn(AuditEntry entry) => entry.Action.StartsWith("auth.", StringComparison.Ordinal);

    /// <summary>The username or client id a sign-in was tried as (a user's creation also records a username: not this).</summary>
    static string? Tried(AuditEntry entry) =>
        SignIn(entry) ? Text(entry.Details, "username") ?? Text(entry.Details, "client_id") : null;

    static string? Text(JsonElement? details, string name) =>
        details is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
