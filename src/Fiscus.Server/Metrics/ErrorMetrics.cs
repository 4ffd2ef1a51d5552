using System.Diagnostics.Metrics;
using Fiscus.Ledger.Telemetry;

namespace Fiscus.Server.Metrics;

/// <summary>
/// Error answers by their machine code: every 4xx and every 503 that Fiscus writes in an endpoint's error shape (the native
/// problem+json or a dialect's), counted where the shape is asked for (<see cref="Http.ErrorShapes.For"/>), and every refusal an
/// endpoint returns itself as problem+json (<see cref="Http.ApiProblems.From"/>). A 4xx with no code of
/// Fiscus's (an unknown route's 404) is still in <c>http.server.request.duration</c>, by its status.
/// </summary>
public static class ErrorMetrics
{
    static readonly Counter<long> ClientErrors = FiscusMeter.Meter.CreateCounter<long>(
        "fiscus.http.client_errors", "{response}", "4xx answers, by their code and status.");

    static readonly Counter<long> Unavailable = FiscusMeter.Meter.CreateCounter<long>(
        "fiscus.http.unavailable", "{response}", "503 answers, by their code: busy, database_unavailable, outcome_unknown.");

    public static void Record(int status, string code)
    {
        if (status is >= 400 and < 500)
        {
            ClientErrors.Add(1, new KeyValuePair<string, object?>("code", code), new KeyValuePair<string, object?>("http.response.status_code", status));
        }
        else if (status == StatusCodes.Status503ServiceUnavailable)
        {
            Unavailable.Add(1, new KeyValuePair<string, object?>("code", code));
        }
    }
}
