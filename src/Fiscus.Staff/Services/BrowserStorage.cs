using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.JSInterop;

namespace Fiscus.Staff.Services;

/// <summary>
/// The browser's localStorage, for what must survive a reload or a crash of the tab: the basket, a checkout that was
/// sent but not answered (with its idempotency key), the chosen register. Never credentials: the session is the
/// HttpOnly cookie.
/// </summary>
public sealed class BrowserStorage(IJSRuntime js)
{
    public async Task<T?> GetAsync<T>(string key, JsonTypeInfo<T> type)
    {
        var text = await js.InvokeAsync<string?>("localStorage.getItem", key);
        if (string.IsNullOrEmpty(text))
        {
            return default;
        }
        try
        {
            return JsonSerializer.Deserialize(text, type);
        }
        catch (JsonException)
        {
            // Written by an older version of the app: start afresh rather than fail the page.
            return default;
        }
    }

    public ValueTask SetAsync<T>(string key, T value, JsonTypeInfo<T> type) =>
        js.InvokeVoidAsync("localStorage.setItem", key, JsonSerializer.Serialize(value, type));

    public ValueTask RemoveAsync(string key) => js.InvokeVoidAsync("localStorage.removeItem", key);
}
