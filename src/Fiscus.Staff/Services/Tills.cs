using Fiscus.Staff.Model;

namespace Fiscus.Staff.Services;

/// <summary>The registers and libraries, to name a register and show a time in its library's zone.</summary>
public sealed record Tills(IReadOnlyList<CashRegister> Registers, IReadOnlyList<Library> Libraries)
{
    public static readonly Tills None = new([], []);

    public static async Task<Tills> LoadAsync(FiscusApi api, CancellationToken cancellationToken = default)
    {
        var registers = api.GetAsync("api/v1/cash_registers?_per_page=1000", Wire.Default.CashRegisterArray, cancellationToken);
        var libraries = api.GetAsync("api/v1/libraries?_per_page=1000", Wire.Default.LibraryArray, cancellationToken);
        return new Tills((await registers).OrderBy(r => r.LibraryId).ThenBy(r => r.Name).ToList(), (await libraries).OrderBy(l => l.Name).ToList());
    }

    public IEnumerable<CashRegister> Open => Registers.Where(r => !r.Archived);

    public string Name(int registerId) => Registers.FirstOrDefault(r => r.CashRegisterId == registerId)?.Name ?? $"register {registerId}";

    public string? TimeZoneOf(int registerId) =>
        Libraries.FirstOrDefault(l => l.LibraryId == Registers.FirstOrDefault(r => r.CashRegisterId == registerId)?.LibraryId)?.TimeZone;

    /// <summary>An instant as the register's library reads its clock.</summary>
    public string When(DateTime utc, int registerId) => LocalTime.Format(utc, TimeZoneOf(registerId));
}
