using Fiscus.Ledger;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Fiscus.Server.Accounts;

/// <summary>
/// The patron account routes answer Koha's words where Koha has them: <c>error</c> is Koha's message for the case
/// ("Patron not found", "Account transaction requires a cash register" ...) and a 404's <c>error_code</c> is Koha's
/// <c>not_found</c> (as on every native 404, see <see cref="ApiProblems"/>), which clients and Koha's own tests match; Fiscus's <c>code</c> and its fuller explanation
/// (<c>detail</c>) stay beside them. Every other refusal is the native problem unchanged.
/// </summary>
public sealed class KohaAccountErrors : IErrorShape
{
    public static readonly KohaAccountErrors Instance = new();

    /// <summary>Koha's message per Fiscus code (Koha::Exceptions::Account and render_resource_not_found).</summary>
    static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
    {
        ["patron_not_found"] = "Patron not found",
        ["debit_not_found"] = "Debit not found",
        ["credit_not_found"] = "Credit not found",
        ["register_required"] = "Account transaction requires a cash register",
        ["unknown_debit_type"] = "Account type was not recognised",
        ["unknown_credit_type"] = "Account type was not recognised",
    };

    /// <summary>Koha's AmountNotPositive, which its add_debit answers before anything else of the body.</summary>
    public const string AmountNotPositive = "Amount should be a positive decimal";

    public static ProblemDetails Create(
        int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors, string? kohaMessage = null)
    {
        var problem = ApiProblems.Create(status, code, message, errors);
        if (kohaMessage is not null || Messages.TryGetValue(code, out kohaMessage))
        {
            problem.Extensions["error"] = kohaMessage;
        }
        return problem;
    }

    /// <summary>A refusal a handler answers itself, in Koha's words (<paramref name="kohaMessage"/>, or the code's).</summary>
    public static ProblemHttpResult From(Failure failure, string? kohaMessage = null) =>
        TypedResults.Problem(Create(ApiProblems.StatusOf(failure.Kind), failure.Code, failure.Message, failure.Errors, kohaMessage));

    public async Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors)
    {
        if (!Messages.ContainsKey(code) && status != StatusCodes.Status404NotFound)
        {
            await ProblemShape.Instance.WriteAsync(context, status, code, message, errors);
            return;
        }
        await TypedResults.Problem(Create(status, code, message, errors)).ExecuteAsync(context);
    }
}
