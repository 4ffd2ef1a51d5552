namespace Fiscus.Server.Audit;

/// <summary>
/// Which actions an audit query asks for. An action is named <c>subject.verb</c> (<c>account.refund</c>,
/// <c>cashup.complete</c>); a query names exact actions, single words that match either half (<c>refund</c> is
/// <c>account.refund</c> and <c>pos.refund</c>, <c>cashup</c> every <c>cashup.*</c>), or categories. Matched on the
/// halves rather than a list of known actions, so an action added later falls into its family without this file.
/// </summary>
public sealed record ActionMatch(IReadOnlyList<string> Exact, IReadOnlyList<string> Subjects, IReadOnlyList<string> Verbs)
{
    public static readonly ActionMatch None = new([], [], []);

    public bool IsEmpty => Exact.Count == 0 && Subjects.Count == 0 && Verbs.Count == 0;

    public ActionMatch Or(ActionMatch other) => new([.. Exact.Union(other.Exact)], [.. Subjects.Union(other.Subjects)], [.. Verbs.Union(other.Verbs)]);

    public bool Matches(string action)
    {
        var dot = action.IndexOf('.', StringComparison.Ordinal);
        var subject = dot < 0 ? action : action[..dot];
        var verb = dot < 0 ? "" : action[(dot + 1)..];
        return Exact.Contains(action) || Subjects.Contains(subject) || Verbs.Contains(verb);
    }

    /// <summary>A word matches either half of an action; a name with a dot, that action alone.</summary>
    public static ActionMatch Of(string value) => value.Contains('.', StringComparison.Ordinal) ? new([value], [], []) : new([], [value], [value]);
}

/// <summary>A named group of actions, as the owner asks: "every void and refund", "failed sign-ins".</summary>
public sealed record AuditCategory(string Name, string Means, ActionMatch Match);

public static class AuditCategories
{
    /// <summary>In the order the README and the staff app list them; a row's category is the first that matches.</summary>
    public static readonly IReadOnlyList<AuditCategory> All =
    [
        new("voids", "payments voided (account.void)", new([], [], ["void"])),
        new("refunds", "refunds of payments and of sold items (account.refund, pos.refund)", new([], [], ["refund"])),
        new("writeoffs", "charges written off (account.writeoff)", new([], [], ["writeoff"])),
        new("cancellations", "charges cancelled (account.cancel)", new([], [], ["cancel"])),
        new("cashups", "cash-ups started and completed (cashup.*)", new([], ["cashup"], [])),
        new("shifts", "cashier shifts: start, cash in and out, end, opening differences (shift.*)", new([], ["shift"], [])),
        new("failed_sign_ins", "sign-ins refused, lock-outs and the throttle's summaries (auth.*_failed, auth.locked_out, auth.throttled)",
            new(["auth.login_failed", "auth.basic_failed", "auth.token_failed", "auth.step_up_failed", "auth.locked_out", "auth.throttled",
                 "sip.login_failed", "sip.pin_failed"], [], [])),
        new("sign_ins", "sign-ins, sign-outs and client tokens (auth.login, auth.basic, auth.logout, auth.token, sip.login)",
            new(["auth.login", "auth.basic", "auth.logout", "auth.token", "sip.login"], [], [])),
        new("payments", "payments and credits on patron accounts (account.credit, account.payment_intake, polaris.pay, sip.fee_paid)",
            new(["account.credit", "account.payment_intake", "polaris.pay", "sip.fee_paid"], [], [])),
        new("charges", "charges and payouts added to patron accounts (account.debit)", new(["account.debit"], [], [])),
        new("sales", "counter sales (pos.sale)", new(["pos.sale"], [], [])),
        new("patrons", "patrons created and changed (patron.*)", new([], ["patron"], [])),
        new("users", "staff users created, changed, disabled, passwords reset (user.*)", new([], ["user"], [])),
        new("clients", "API clients and SIP logins created, changed, disabled, secrets rotated (client.*, sip_login.*)",
            new([], ["client", "sip_login"], [])),
        new("kiosks", "SIP2 kiosks: fee payments refused (sip.fee_paid_refused) and everything else they did (sip.*)", new([], ["sip"], [])),
        new("setup", "libraries, registers, owners and debit, credit and payment types (library.*, cash_register.*, ...)",
            new([], ["library", "cash_register", "fee_fine_owner", "debit_type", "credit_type", "payment_type"], [])),
    ];

    public static AuditCategory? Find(string name) => All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    /// <summary>The first category an action belongs to, or null.</summary>
    public static string? Of(string action) => All.FirstOrDefault(c => c.Match.Matches(action))?.Name;
}
