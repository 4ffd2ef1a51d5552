using Fiscus.Ledger.Money;

namespace Fiscus.Server.Registers;

public sealed record CashRegisterRow(
    int CashRegisterId, string Name, string Description, string LibraryId, long StartingFloatMinor, bool Archived, bool LibraryDefault)
{
    public const string Columns = "cash_register_id, name, description, library_id, starting_float_minor, archived, library_default";
}

/// <summary>A cash register on the wire (Koha's cash_register definition).</summary>
public sealed record CashRegisterDto(
    int CashRegisterId, string Name, string Description, string LibraryId, decimal StartingFloat, bool Archived, bool LibraryDefault)
{
    public static CashRegisterDto From(CashRegisterRow row, Currency currency) => new(
        row.CashRegisterId, row.Name, row.Description, row.LibraryId, currency.ToMajor(row.StartingFloatMinor), row.Archived,
        row.LibraryDefault);
}

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
