using Fiscus.Staff.Model;

namespace Fiscus.Staff.Services;

/// <summary>
/// Who is signed in (from <c>GET /api/v1/auth/me</c>) and the installation's currency and cash denominations. The
/// server decides what anyone may do; the app only uses the scopes to show what will work.
/// </summary>
public sealed class StaffSession(FiscusApi api)
{
    public Me? User { get; private set; }

    public Currency Currency { get; private set; } = Currency.Usd;

    public IReadOnlyList<Denomination> Denominations { get; private set; } = [];

    public bool SignedIn => User is not null;

    /// <summary>The libraries (names and time zones), read once at sign-in: dates show in their library's time zone.</summary>
    public IReadOnlyList<Library> Libraries { get; private set; } = [];

    public Library? LibraryOf(string? libraryId) => Libraries.FirstOrDefault(l => l.LibraryId == libraryId);

    public string? TimeZoneOf(string? libraryId) => LibraryOf(libraryId)?.TimeZone;

    /// <summary>Setup added or changed a library: dates follow its name and time zone without signing in again.</summary>
    public void UseLibraries(IReadOnlyList<Library> libraries) => Libraries = libraries;

    public event Action? Changed;

    public bool Can(string scope) => User?.Scopes.Contains(scope) == true;

    /// <summary>Reads the session the cookie carries, if any; false when signed out.</summary>
    public async Task<bool> LoadAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var me = await api.GetAsync("api/v1/auth/me", Wire.Default.Me, cancellationToken);
            await SetAsync(me, cancellationToken);
            return true;
        }
        catch (ApiException e) when (e.Status == 401)
        {
            Clear();
            return false;
        }
    }

    public async Task SignInAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var answer = await api.PostAsync("api/v1/auth/login", new LoginRequest(username, password), Wire.Default.LoginRequest,
            Wire.Default.LoginAnswer, cancellationToken: cancellationToken);
        await SetAsync(answer.User, cancellationToken);
    }

    /// <summary>
    /// Signs out: the server revokes the token and clears the HttpOnly cookie. If it cannot be reached the cookie still
    /// works, so the clerk is told (an <see cref="ApiUnreachableException"/> or 5xx goes to the caller) and stays signed in
    /// here rather than leave a live session behind a sign-in screen. Already signed out (401) counts as done.
    /// </summary>
    public async Task SignOutAsync()
    {
        try
        {
            await api.PostAsync("api/v1/auth/logout");
        }
        catch (ApiException e) when (e.Status == 401)
        {
            // The session had ended already.
        }
        Clear();
    }

    /// <summary>The session ended on the server (a 401): forget the user; the screens send the clerk to sign in.</summary>
    public void Expire() => Clear();

    async Task SetAsync(Me me, CancellationToken cancellationToken)
    {
        var installation = await api.GetAsync("api/v1/installation", Wire.Default.Installation, cancellationToken);
        Currency = new Currency(installation.Currency.Code, installation.Currency.Exponent);
        Denominations = installation.Denominations.Select(d => new Denomination(Currency.ToMinor(d.Value), d.Kind)).ToList();
        Libraries = me.Scopes.Contains("reference:read")
            ? await api.GetAsync("api/v1/libraries?_per_page=1000", Wire.Default.LibraryArray, cancellationToken)
            : [];
        User = me;
        Changed?.Invoke();
    }

    void Clear()
    {
        User = null;
        Changed?.Invoke();
    }
}
