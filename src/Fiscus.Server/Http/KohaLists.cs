using static Fiscus.Server.Http.KohaFieldType;

namespace Fiscus.Server.Http;

/// <summary>
/// Every list's query contract in one place: the field names are those of the resource's Koha definition
/// (api/v1/swagger/definitions/*.yaml: debit, credit, cashup, cash_register, patron, library, debit_type ...), mapped to
/// the SQL behind them, so a Koha client's <c>q</c> and <c>_order_by</c> work unchanged whatever the response's extra
/// Fiscus fields. A field Fiscus does not keep (a checkout) is a typed NULL: <c>{"checkout_id": null}</c> matches every line.
/// The SQL uses the aliases of each endpoint's FROM clause.
/// </summary>
public static class KohaLists
{
    /// <summary>
    /// A line's Koha <c>timestamp</c> over <c>account_lines l</c>: Fiscus never edits a line's facts; only an offset changes its
    /// outstanding amount and status, so its last change is the newest of its posting and the offsets applied to it.
    /// </summary>
    public const string LineTimestampSql = """
        GREATEST(l.posted_at,
                 (SELECT max(o.created_at) FROM account_offsets o WHERE o.debit_id = l.account_line_id),
                 (SELECT max(o.created_at) FROM account_offsets o WHERE o.credit_id = l.account_line_id))
        """;

    /// <summary>
    /// A line's Koha <c>user_id</c> over <c>account_lines l</c>: the staff user who wrote it, or for an API client's line the
    /// client's service user (as a client's cash-up names it in <c>manager_id</c>).
    /// </summary>
    public const string LineUserIdSql =
        "COALESCE(l.user_id, (SELECT a.service_user_id FROM api_clients a WHERE a.api_client_id = l.api_client_id))";

    /// <summary>What debits and credits share (Koha's account_line), over <c>account_lines l</c>.</summary>
    static KohaField[] Line(string type, string paymentTypeName, params KohaField[] more) =>
    [
        new("account_line_id", "l.account_line_id", Integer),
        new("amount", "l.amount_minor", Money),
        new("amount_outstanding", "l.amount_outstanding_minor", Money),
        new("cash_register_id", "l.cash_register_id", Integer),
        new("date", "l.posted_at", Timestamp),
        new("description", "l.description", Text),
        new("interface", "l.interface", Code),
        new("internal_note", "l.internal_note", Text),
        new("library_id", "l.library_id", Code),
        new("patron_id", "l.patron_id", Integer),
        new(paymentTypeName, "l.payment_type", Code),
        new("status", "l.status", Code),
        new("timestamp", LineTimestampSql, Timestamp),
        new("type", type, Code),
        new("user_id", LineUserIdSql, Integer),
        .. more,
    ];

    /// <summary>GET /patrons/{id}/account/debits: Koha's debit definition (a PAYOUT's payment type is its payout_type).</summary>
    public static readonly KohaList Debits = new("debit",
        Line("l.debit_type_code", "payout_type", new KohaField("item_id", "l.item_id", Integer), new KohaField("checkout_id", "NULL::bigint", Integer)),
        "l.account_line_id", "l.account_line_id");

    /// <summary>GET /patrons/{id}/account/credits: Koha's credit definition.</summary>
    public static readonly KohaList Credits = new("credit",
        Line("l.credit_type_code", "payment_type", new KohaField("credit_number", "NULL::text", Code)),
        "l.account_line_id", "l.account_line_id");

    /// <summary>GET /cash_registers/{id}/cashups: Koha's cashup definition; newest first, as Koha lists them.</summary>
    public static readonly KohaList Cashups = new("cashup",
    [
        new("cashup_id", "cashup_id", Integer),
        new("cash_register_id", "cash_register_id", Integer),
        // Who counted: the staff user, or the client's service user (as the cash-up's answer names it).
        new("manager_id", "COALESCE(user_id, (SELECT a.service_user_id FROM api_clients a WHERE a.api_client_id = cashups.api_client_id))", Integer),
        new("amount", "amount_minor", Money),
        // A count still in progress has no completion yet: its timestamp is when it started, as its answer shows.
        new("timestamp", "COALESCE(completed_at, started_at)", Timestamp),
    ], "cashup_id DESC", "cashup_id");

    /// <summary>GET /cash_registers: Koha's cash_register definition, filtered by library_id (exactly) and archived.</summary>
    public static readonly KohaList CashRegisters = new("cash register",
    [
        new("cash_register_id", "cash_register_id", Integer),
        new("name", "name", Text),
        new("library_id", "library_id", Code),
        new("description", "description", Text),
        new("starting_float", "starting_float_minor", Money),
        new("archived", "archived", Flag),
        new("library_default", "library_default", Flag),
    ], "cash_register_id", "cash_register_id", new KohaFilter("library_id", KohaMatch.Exact), new KohaFilter("archived"));

    /// <summary>GET /cash_registers/{id}/sales: a register's sales (bug 42784), newest first, over <c>sales s</c> and its credit <c>c</c>.</summary>
    public static readonly KohaList Sales = new("sale",
    [
        new("sale_id", "s.sale_id", Integer),
        new("cash_register_id", "s.cash_register_id", Integer),
        new("patron_id", "c.patron_id", Integer),
        new("payment_type", "c.payment_type", Code),
        new("total", "s.total_minor", Money),
        new("amount_tendered", "s.tendered_minor", Money),
        new("change_given", "s.change_minor", Money),
        new("date", "s.created_at", Timestamp),
        new("credit_id", "s.credit_id", Integer),
        new("user_id", "c.user_id", Integer),
    ], "s.sale_id DESC", "s.sale_id");

    /// <summary>
    /// GET /patrons: a card number is found exactly and a surname by its start (as the staff app's search always has),
    /// a first name anywhere in it; <c>_match</c> changes all three.
    /// </summary>
    public static readonly KohaList Patrons = new("patron",
    [
        new("patron_id", "patron_id", Integer),
        new("cardnumber", "cardnumber", Code),
        new("firstname", "firstname", Text),
        new("surname", "surname", Text),
        new("library_id", "library_id", Code),
        new("secured", "secured", Flag),
    ], "patron_id", "patron_id",
        new KohaFilter("cardnumber", KohaMatch.Exact), new KohaFilter("surname", KohaMatch.StartsWith), new KohaFilter("firstname"),
        new KohaFilter("library_id", KohaMatch.Exact));

    public static readonly KohaList Libraries = new("library",
    [
        new("library_id", "library_id", Code),
        new("name", "name", Text),
        new("time_zone", "time_zone", Code),
    ], "library_id", "library_id", new KohaFilter("library_id", KohaMatch.Exact), new KohaFilter("name"));

    /// <summary>GET /debit_types: Koha's debit_type definition; filter by archived, can_be_sold, can_be_invoiced.</summary>
    public static readonly KohaList DebitTypes = new("debit type",
    [
        new("code", "code", Code),
        new("description", "description", Text),
        new("default_amount", "default_amount_minor", Money),
        new("can_be_sold", "can_be_sold", Flag),
        new("can_be_invoiced", "can_be_invoiced", Flag),
        new("restricts_checkouts", "restricts_checkouts", Flag),
        new("is_system", "is_system", Flag),
        new("archived", "archived", Flag),
    ], "code", "code", new KohaFilter("archived"), new KohaFilter("can_be_sold"), new KohaFilter("can_be_invoiced"));

    public static readonly KohaList CreditTypes = new("credit type",
    [
        new("code", "code", Code),
        new("description", "description", Text),
        new("can_be_added_manually", "can_be_added_manually", Flag),
        new("is_system", "is_system", Flag),
        new("archived", "archived", Flag),
    ], "code", "code", new KohaFilter("archived"), new KohaFilter("can_be_added_manually"));

    public static readonly KohaList PaymentTypes = new("payment type",
    [
        new("code", "code", Code),
        new("description", "description", Text),
        new("counts_as_cash", "counts_as_cash", Flag),
        new("allowed_refund", "allowed_refund", Flag),
        new("is_system", "is_system", Flag),
        new("archived", "archived", Flag),
    ], "code", "code", new KohaFilter("archived"), new KohaFilter("counts_as_cash"));
}
