using System.Text.Json.Serialization;
using Fiscus.Ledger.Money;
using Fiscus.Server.Http;

namespace Fiscus.Server.Registers;

public sealed record CashRegisterRow(
    int CashRegisterId, string Name, string Description, string LibraryId, long StartingFloatMinor, bool Archived, bool LibraryDefault,
    DateTime CreatedAt, DateTime UpdatedAt)
{
    public const string Columns =
        "cash_register_id, name, description, library_id, starting_float_minor, archived, library_default, created_at, updated_at";
}

/// <summary>
/// A cash register on the wire: exactly Koha's <c>cash_register</c> definition (<c>additionalProperties: false</c>), and
/// Fiscus's own facts only under <c>fiscus</c> when asked for with <c>x-koha-embed: fiscus</c>.
/// </summary>
public sealed record CashRegisterDto(
    int CashRegisterId,
    string Name,
    string Description,
    string LibraryId,
    decimal StartingFloat,
    bool Archived,
    bool LibraryDefault,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CashRegisterFiscusDto? Fiscus = null)
{
    /// <summary>The embeds a register answer offers (<c>x-koha-embed</c>); Koha's register routes offer none.</summary>
    public static readonly string[] Embeds = [RegisterEmbeds.Fiscus];

    public static CashRegisterDto From(CashRegisterRow row, Currency currency, KohaEmbed embed) => new(
        row.CashRegisterId, row.Name, row.Description, row.LibraryId, currency.ToMajor(row.StartingFloatMinor), row.Archived,
        row.LibraryDefault, embed.Has(RegisterEmbeds.Fiscus) ? new CashRegisterFiscusDto(row.CreatedAt, row.UpdatedAt) : null);
}

/// <summary>What Fiscus knows of a register beyond Koha's definition (<c>x-koha-embed: fiscus</c>).</summary>
public sealed record CashRegisterFiscusDto(DateTime CreatedAt, DateTime UpdatedAt);

public sealed record CreateCashRegisterRequest(
    string Name, string LibraryId, string? Description = null, decimal? StartingFloat = null, bool? LibraryDefault = null);

/// <summary>
/// PUT body: <c>name</c> and <c>library_id</c> are required; optional fields left out keep their value.
/// <c>cash_register_id</c> and <c>archived</c> may be echoed back from a GET but cannot be changed here
/// (archiving has its own action).
/// </summary>
public sealed record UpdateCashRegisterRequest(
    string Name,
    string LibraryId,
    string? Description = null,
    decimal? StartingFloat = null,
    bool? LibraryDefault = null,
    int? CashRegisterId = null,
    bool? Archived = null);

/// <summary>
/// The <c>x-koha-embed</c> names the register and cash-up routes offer. Koha's own: <c>manager</c> (cash-up lists) and
/// <c>summary</c> (a cash-up); Fiscus offers both on both, and <c>fiscus</c> (its facts beyond Koha's definitions) everywhere.
/// </summary>
public static class RegisterEmbeds
{
    public const string Fiscus = "fiscus";
    public const string Manager = "manager";
    public const string Summary = "summary";
}
