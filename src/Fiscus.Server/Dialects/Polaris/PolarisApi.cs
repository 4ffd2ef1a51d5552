using System.Globalization;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Commands;
using Fiscus.Server.Commands;
using Fiscus.Server.Accounts;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Patrons;
using Npgsql;

namespace Fiscus.Server.Dialects.Polaris;

/// <summary>The pay answer: the new payment transaction ids and, with <c>reload=true</c>, the charges still owed.</summary>
public sealed record PolarisPayResponse(IReadOnlyList<PolarisTransaction>? FinesAndFees, IReadOnlyList<long> TxnIds);

/// <summary>
/// The Polaris staff API's patron account, so a Polaris-speaking system can pay fines in Fiscus:
/// <c>PUT /polaris/api/v1/patrons/{id}/accounttransactions/finesfees?action=pay&amp;reload=&amp;overpayment=</c> and
/// <c>GET /polaris/api/v1/patrons/{id}/accounttransactions</c>. Polaris' TxnIDs are Fiscus account line ids,
/// its PatronPaymentMethod numbers map to Fiscus payment types (FISCUS_POLARIS_PAYMENT_METHODS).
/// </summary>
public static class PolarisApi
{
    const string Interface = "polaris";

    public static RouteGroupBuilder MapPolaris(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/polaris/api/v1/patrons/{id}/accounttransactions").WithTags("Polaris")
            .RequireAuthorization().WithErrorShape(PolarisErrors.Instance);
        group.MapGet("/", ListAsync).RequireAuthorization(Scopes.AccountsRead)
            .WithName("polarisListTransactions").WithSummary("The patron's transactions, newest first (Polaris rows)")
            .Produces<PolarisTransaction[]>();
        group.MapPut("/finesfees", PayAsync).RequireAuthorization(Scopes.PaymentsWrite)
            .WithName("polarisPayFines").WithSummary("Pay listed charges oldest first (Polaris DtoFineData)")
            .Produces<PolarisPayResponse>();
        return group;
    }

    static async Task<IResult> ListAsync(string id, Caller caller, NpgsqlDataSource db, FiscusOptions options, CancellationToken cancellationToken)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var patronId) || patronId <= 0)
        {
            return InvalidPatronId(id);
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await PatronAccess.CheckAsync(connection, null, patronId, caller, cancellationToken) is { } refused)
        {
            return CommandCall.Refuse(refused);
        }
        var rows = await PolarisTransaction.ListAsync(connection, null, patronId, false, options.Currency, cancellationToken);
        return Results.Json(rows, PolarisJson.Options);
    }

    static async Task<IResult> PayAsync(string id, [AsParameters] CommandCall call, NpgsqlDataSource db)
    {
        var (http, caller, options, cancellationToken) = (call.Http, call.Caller, call.Options, call.CancellationToken);
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var patronId) || patronId <= 0)
        {
            return InvalidPatronId(id);
        }
        var query = http.Request.Query;
        if (!string.Equals(query["action"].ToString(), "pay", StringComparison.OrdinalIgnoreCase))
        {
            return ErrorShapes.Result(400, "unsupported_action",
                $"action '{query["action"]}' is not supported here; Fiscus takes action=pay.");
        }
        if (Flag(query, "reload") is not { } reload || Flag(query, "overpayment") is not { } overpayment)
        {
            return ErrorShapes.Result(400, "invalid_parameter", "reload and overpayment must be true or false.");
        }
        using var reader = new StreamReader(http.Request.Body);
        var parsed = DtoFineData.Parse(await reader.ReadToEndAsync(cancellationToken));
        if (parsed.Failure is { } malformed)
        {
            return CommandCall.Refuse(malformed);
        }
        var fine = parsed.Value!;
        var validation = new Validation();
        var amount = WireMoney.ToMinor(validation, "TxnAmount", fine.TxnAmount, options.Currency, WireMoney.Sign.Positive, true);
        if (!options.PolarisPaymentMethods.TryGetValue(fine.PatronPaymentMethod, out var paymentType))
        {
            var mapped = options.PolarisPaymentMethods.OrderBy(m => m.Key)
                .Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} ({m.Value})")).ToList();
            validation.Add("PatronPaymentMethod", string.Create(CultureInfo.InvariantCulture,
                $"PatronPaymentMethod {fine.PatronPaymentMethod} is not mapped to a payment type (FISCUS_POLARIS_PAYMENT_METHODS). Mapped methods: {Suggestions.List(mapped)}."));
        }
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        var registerId = await DefaultRegisterAsync(db, caller, patronId, cancellationToken);
        var command = new PayChargesCommand(fine.MainTxnIDs, amount!.Value, paymentType!, registerId, overpayment, fine.FreeTextNote);
        return await call.RunAsync(Polaris, new { fine, reload, overpayment }, null,
            scope => scope.OnAccountAsync(patronId, account => AccountOperations.PayChargesAsync(account, command)),
            async (scope, result) =>
            {
                var ids = result.Payments.Select(p => p.AccountLineId).ToList();
                var fines = reload
                    ? await PolarisTransaction.ListAsync(scope.Connection, scope.Transaction, patronId, true, options.Currency, scope.CancellationToken)
                    : null;
                return new Reply(200, new PolarisPayResponse(fines, ids), null, new AuditRecord("polaris.pay", "account_line", string.Join(',', ids),
                    new { patron_id = patronId, charges = fine.MainTxnIDs, amount = fine.TxnAmount, payment_type = paymentType, overpayment }));
            });
    }

    /// <summary>
    /// Polaris names no register: money goes to the register a client is bound to, else the default
    /// register of the caller's library, else of the patron's library.
    /// </summary>
    static async Task<int?> DefaultRegisterAsync(NpgsqlDataSource db, Caller caller, long patronId, CancellationToken cancellationToken)
    {
        if (caller.Binding.CashRegisterId is { } bound)
        {
            return bound;
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition("""
            SELECT r.cash_register_id
            FROM cash_registers r
            WHERE r.library_default AND NOT r.archived
              AND r.library_id IN (@callerLibrary, (SELECT library_id FROM patrons WHERE patron_id = @patronId))
            ORDER BY (r.library_id = @callerLibrary) DESC NULLS LAST
            LIMIT 1
            """, new { callerLibrary = caller.LibraryId, patronId }, cancellationToken: cancellationToken));
    }

    static bool? Flag(IQueryCollection query, string name)
    {
        var raw = query[name].ToString();
        return raw.Length == 0 ? false : bool.TryParse(raw, out var value) ? value : null;
    }

    /// <summary>Polaris' interface, JSON, and the pay command's fields as its DtoFineData names them.</summary>
    static readonly Dialect Polaris = new(Interface, PolarisJson.Options, new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["payment_type"] = "PatronPaymentMethod",
        ["charge_ids"] = "MainTxnIDs",
        ["amount"] = "TxnAmount",
    });

    static IResult InvalidPatronId(string id) =>
        ErrorShapes.Result(400, "invalid_patron_id", $"'{id}' is not a valid patron ID.");
}
