namespace Fiscus.Staff.Services;

/// <summary>
/// Sends a write until the API answers it: on a lost connection or a 503 the same request goes again, with the same
/// <c>Idempotency-Key</c> (the caller's), after <see cref="CounterState.RetryDelays"/>; a refusal or an answer ends it.
/// When the retries are spent the last error is thrown and the caller keeps the key for the clerk's "Try again".
/// </summary>
public static class Retrying
{
    public static async Task<T> SendAsync<T>(
        Func<CancellationToken, Task<T>> send, Action<int>? retrying = null, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await send(cancellationToken);
            }
            catch (Exception e) when (e is ApiException { Transient: true } or ApiUnreachableException && attempt < CounterState.RetryDelays.Length)
            {
                retrying?.Invoke(attempt + 1);
                await Task.Delay(CounterState.RetryDelays[attempt], clock ?? TimeProvider.System, cancellationToken);
            }
        }
    }

    /// <summary>What the clerk reads when a write failed: the API's words, or that the outcome is unknown and what to do.</summary>
    public static string Advice(Exception e, string again) => e switch
    {
        ApiException { Transient: true } => $"Fiscus could not answer. {again}",
        ApiException api => api.Advice,
        _ => $"{e.Message} {again}",
    };
}
