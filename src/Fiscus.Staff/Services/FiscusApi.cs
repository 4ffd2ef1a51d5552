using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fiscus.Staff.Services;

/// <summary>The API refused the request (4xx) or could not serve it (5xx); <see cref="Problem"/> holds what it said.</summary>
public sealed class ApiException(int status, Problem problem)
    : Exception(problem.Error ?? problem.Detail ?? problem.Title ?? $"The server answered {status}.")
{
    public int Status { get; } = status;

    public Problem Problem { get; } = problem;

    public string? Code => Problem.Code;

    /// <summary>The API's message for a field (its wire name, e.g. <c>amount_tendered</c>), if it named one.</summary>
    public string? For(string field) =>
        Problem.Errors is { } errors && errors.TryGetValue(field, out var messages) && messages.Length > 0 ? string.Join(" ", messages) : null;

    /// <summary>Worth sending again unchanged (with the same idempotency key): the server or the database was unavailable.</summary>
    public bool Transient => Status is 502 or 503 or 504 || Code == "idempotency_key_in_use";

    /// <summary>What the clerk should read: the API's words, plus what to do for the answers that need it.</summary>
    public string Advice => Status switch
    {
        409 when Code == "idempotency_key_in_use" => "The same request is still being processed; trying again…",
        409 => $"{Message} Refresh the screen and check before trying again.",
        503 => "Fiscus cannot reach its database right now. Nothing is lost: try again in a moment.",
        429 => "Too many attempts. Wait a minute and try again.",
        _ => Message,
    };
}

/// <summary>The server could not be reached at all (network down, server restarting): the outcome is not known.</summary>
public class ApiUnreachableException(Exception? inner, string? message = null)
    : Exception(message ?? "Fiscus cannot be reached. Check the network; nothing is lost.", inner);

/// <summary>
/// A confirmed write was not sent (again): the clerk who confirmed it signed out, or it is too old to send safely. It
/// stays stored; what to do is in the message. Screens treat it as an unanswered write.
/// </summary>
public sealed class WriteNotSentException(string message) : ApiUnreachableException(null, message);

/// <summary>
/// The app's only way to Fiscus: the public REST API, same origin, authenticated by the HttpOnly session cookie. A 401
/// means the session is gone (expired, revoked, signed out elsewhere): <see cref="SessionEnded"/> sends the app to the
/// sign-in screen, and whatever the clerk was doing stays in browser storage.
/// </summary>
public sealed class FiscusApi(HttpClient http)
{
    public event Action? SessionEnded;

    public Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), type, cancellationToken);

    /// <summary>A GET asking for Koha's embeds (<c>x-koha-embed: manager,summary,fiscus</c>) beside the object's own keys.</summary>
    public Task<T> GetEmbeddedAsync<T>(string path, string embed, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-koha-embed", embed);
        return SendAsync(request, type, cancellationToken);
    }

    /// <summary>A page of a list and how many there are in all (Koha's <c>X-Total-Count</c>).</summary>
    public async Task<(T Items, long Total)> GetPageAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
    {
        using var response = await RawAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        var items = await response.Content.ReadFromJsonAsync(type, cancellationToken)
            ?? throw new ApiException((int)response.StatusCode, new Problem("empty_answer", "The server sent an empty answer.", null, null, null));
        var total = response.Headers.TryGetValues("X-Total-Count", out var values)
            && long.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
            ? count : -1;
        return (items, total);
    }

    public Task<T> PostAsync<TBody, T>(
        string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type, string? idempotencyKey = null,
        CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, bodyType) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return SendAsync(request, type, cancellationToken);
    }

    /// <summary>A POST with no body whose answer matters (a generated password, a rotated secret, the record it changed).</summary>
    public Task<T> PostAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path), type, cancellationToken);

    public Task<T> PutAsync<TBody, T>(
        string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<T> type, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body, bodyType) }, type, cancellationToken);

    /// <summary>Posts a body already serialized (a stored pending write being sent again, byte for byte).</summary>
    public Task<T> PostJsonAsync<T>(
        string path, string json, JsonTypeInfo<T> type, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return SendAsync(request, type, cancellationToken);
    }

    public async Task PostAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await RawAsync(new HttpRequestMessage(HttpMethod.Post, path), cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
    }

    async Task<T> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await RawAsync(request, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
            ?? throw new ApiException((int)response.StatusCode, new Problem("empty_answer", "The server sent an empty answer.", null, null, null));
    }

    async Task<HttpResponseMessage> RawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Accept.ParseAdd("application/json");
        if (FiscusEmbed.OfferedAt(request.RequestUri))
        {
            request.Headers.Add(FiscusEmbed.Header, FiscusEmbed.Name);
        }
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ApiUnreachableException(e);
        }
        finally
        {
            request.Dispose();
        }
    }

    async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var status = (int)response.StatusCode;
        Problem problem;
        try
        {
            // problem+json, or the cashier shifts' own envelope (POS Kasir's dialect), which says the same in other words.
            var body = await response.Content.ReadFromJsonAsync(ShiftWire.Default.JsonElement, cancellationToken);
            problem = ShiftError.TryRead(body) ?? body.Deserialize(Wire.Default.Problem) ?? new Problem(null, null, null, null, null);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            problem = new Problem(null, $"The server answered {status} {response.ReasonPhrase}.", null, null, null);
        }
        // A wrong password asked again (starting or ending a shift) is a 401 too, but the session is fine.
        if (response.StatusCode == HttpStatusCode.Unauthorized && problem.Code != "invalid_password"
            && !response.RequestMessage!.RequestUri!.AbsolutePath.EndsWith("/auth/login", StringComparison.Ordinal))
        {
            SessionEnded?.Invoke();
        }
        throw new ApiException(status, problem);
    }
}

/// <summary>
/// The routes that answer lines in Koha's shapes offer Fiscus's own facts of each line (client, register session,
/// quantity ...) under <c>x-koha-embed: fiscus</c>; the app asks for them wherever it reads lines.
/// </summary>
public static partial class FiscusEmbed
{
    public const string Header = "x-koha-embed";

    public const string Name = "fiscus";

    public static bool OfferedAt(Uri? uri) => uri is not null && LineRoutes().IsMatch((uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString).TrimStart('/'));

    [System.Text.RegularExpressions.GeneratedRegex(@"^api/v1/(patrons/\d+/account(/|\?|$)|cash_registers/\d+/(sales|refunds)(/|\?|$))")]
    private static partial System.Text.RegularExpressions.Regex LineRoutes();
}
