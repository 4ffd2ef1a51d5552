using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Commands;
using Fiscus.Server.Auth;
using Fiscus.Server.Commands;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Patrons;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Fiscus.Server.Accounts;

public sealed record AccountTotalDto(decimal Total, IReadOnlyList<KohaAccountLine> Lines);

/// <summary>Koha's patron_balance: balance, and the outstanding debits and credits (Koha's account_line) with their totals.</summary>
public sealed record AccountDto(decimal Balance, AccountTotalDto OutstandingDebits, AccountTotalDto OutstandingCredits);

/// <summary>
/// What a line action did: the line acted on, the lines it created or changed (each a Koha <c>debit</c> or <c>credit</c>),
/// its offsets and the balance.
/// </summary>
public sealed record AccountActionDto(
    KohaLine Line, IReadOnlyList<KohaLine> Created, IReadOnlyList<KohaLine> Changed, IReadOnlyList<AccountOffsetDto> Offsets,
    decimal Balance);

/// <summary>
/// <c>/api/v1/patrons/{patron_id}/account</c>: the patron ledger in Koha's shapes. Every write locks the
/// account, is idempotent (Idempotency-Key) and audited; a secured patron refuses all of them (409).
/// </summary>
public static class AccountsApi
{
    const string Interface = "api";

    public static RouteGroupBuilder MapAccounts(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/patrons/{patron_id:long}/account").WithTags("Patron accounts").RequireAuthorization()
            .WithErrorShape(KohaAccountErrors.Instance).WithKohaEmbeds(KohaLines.FiscusEmbed);
        group.MapGet("/", GetAsync).RequireAuthorization(Scopes.AccountsRead)
            .WithName("getPatronAccount").WithSummary("Balance and outstanding debits and credits");
        group.MapGet("/debits", (long patron_id, KohaQuery query, KohaEmbed embed, Caller caller, HttpContext http, NpgsqlDataSource db,
                FiscusOptions options, CancellationToken ct) => ListAsync(patron_id, debits: true, query, embed, caller, http, db, options, ct))
            .RequireAuthorization(Scopes.AccountsRead).WithName("listPatronDebits").WithSummary("The patron's debits (Koha's debit), oldest first")
            .WithKohaList(KohaLists.Debits);
        group.MapGet("/credits", (long patron_id, KohaQuery query, KohaEmbed embed, Caller caller, HttpContext http, NpgsqlDataSource db,
                FiscusOptions options, CancellationToken ct) => ListAsync(patron_id, debits: false, query, embed, caller, http, db, options, ct))
            .RequireAuthorization(Scopes.AccountsRead).WithName("listPatronCredits").WithSummary("The patron's credits (Koha's credit), oldest first")
            .WithKohaList(KohaLists.Credits);
        group.MapGet("/debits/{account_line_id:long}", (long patron_id, long account_line_id, KohaEmbed embed, Caller caller, NpgsqlDataSource db,
                FiscusOptions options, CancellationToken ct) => GetLineAsync(patron_id, account_line_id, debit: true, embed, caller, db, options, ct))
            .RequireAuthorization(Scopes.AccountsRead).WithName("getPatronDebit").WithSummary("One debit (Koha's debit)");
        group.MapGet("/credits/{account_line_id:long}", (long patron_id, long account_line_id, KohaEmbed embed, Caller caller, NpgsqlDataSource db,
                FiscusOptions options, CancellationToken ct) => GetLineAsync(patron_id, account_line_id, debit: false, embed, caller, db, options, ct))
            .RequireAuthorization(Scopes.AccountsRead).WithName("getPatronCredit").WithSummary("One credit (Koha's credit)");
        group.MapGet("/debits/{account_line_id:long}/offsets", (long patron_id, long account_line_id, Caller caller, NpgsqlDataSource db,
                FiscusOptions options, CancellationToken ct) => OffsetsAsync(patron_id, account_line_id, debit: true, caller, db, options, ct))
            .RequireAuthorization(Scopes.AccountsRead).WithName("listPatronDebitOffsets")
            .WithSummary("What was applied to a debit (payments, write-offs, voids), oldest first");
        group.MapGet("/credits/{account_line_id:long}/offsets", (long patron_id, long account_line_id, Caller caller, NpgsqlDataSource db,
                FiscusOptions options, CancellationToken ct) => OffsetsAsync(patron_id, account_line_id, debit: false, caller, db, options, ct))
            .RequireAuthorization(Scopes.AccountsRead).WithName("listPatronCreditOffsets")
            .WithSummary("What a credit paid (the debits it was applied to, and how much each), oldest first");

        group.MapPost("/debits", AddDebitAsync).RequireAuthorization(Scopes.AccountsWrite)
            .WithName("addPatronDebit").WithSummary("Charge the patron (answers Koha's debit)").Produces<KohaDebit>(201);
        group.MapPost("/credits", AddCreditAsync).RequireAuthorization(Scopes.PaymentsWrite)
            .WithName("addPatronCredit")
            .WithSummary("Record a payment (or, with refunds:write, another credit); applied to the listed lines, then the oldest debits "
                + "(answers Koha's account_line, as Koha's addPatronCredit does)")
            .Produces<KohaAccountLine>(201);
        group.MapPost("/credits/{account_line_id:long}/void", VoidAsync).RequireAuthorization(Scopes.RefundsWrite)
            .WithName("voidPatronCredit").WithSummary("Void a credit: its applications are reversed").Produces<AccountActionDto>();
        group.MapPost("/credits/{account_line_id:long}/refund", RefundAsync).RequireAuthorization(Scopes.RefundsWrite)
            .WithName("refundPatronCredit").WithSummary("Pay out an outstanding credit or refund a payment").Produces<AccountActionDto>();
        group.MapPost("/debits/{account_line_id:long}/cancel", CancelAsync).RequireAuthorization(Scopes.RefundsWrite)
            .WithName("cancelPatronDebit").WithSummary("Cancel a charge nothing was paid on").Produces<AccountActionDto>();
        group.MapPost("/debits/{account_line_id:long}/writeoff", WriteOffAsync).RequireAuthorization(Scopes.RefundsWrite)
            .WithName("writeOffPatronDebit").WithSummary("Write off (part of) what a charge owes").Produces<AccountActionDto>();
        return group;
    }

    static async Task<Results<Ok<AccountDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "patron_id")] long patronId, KohaEmbed embed, Caller caller, NpgsqlDataSource db, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        if (await PatronAccess.CheckAsync(connection, transaction, patronId, caller, cancellationToken) is { } refused)
        {
            return KohaAccountErrors.From(refused);
        }
        var outstanding = (await KohaLineRow.WhereAsync(connection, transaction, "l.patron_id = @patronId AND l.amount_outstanding_minor <> 0",
            "l.account_line_id", new { patronId }, cancellationToken)).Select(r => r.ToAccountLine(options.Currency, embed)).ToList();
        var balance = await PatronAccount.BalanceAsync(connection, transaction, patronId, cancellationToken);
        var debits = outstanding.Where(l => l.DebitType is not null).ToList();
        var credits = outstanding.Where(l => l.CreditType is not null).ToList();
        return TypedResults.Ok(new AccountDto(
            options.Currency.ToMajor(balance),
            new AccountTotalDto(Sum(debits, options), debits),
            new AccountTotalDto(Sum(credits, options), credits)));
    }

    // Decimal addition is exact and keeps the currency's scale (0.00 + 10.50 = 10.50).
    static decimal Sum(IEnumerable<KohaAccountLine> lines, FiscusOptions options) =>
        lines.Aggregate(options.Currency.ToMajor(0), (total, line) => total + line.AmountOutstanding);

    static async Task<Results<Ok<KohaLine[]>, ProblemHttpResult>> ListAsync(
        long patronId, bool debits, KohaQuery query, KohaEmbed embed, Caller caller, HttpContext http, NpgsqlDataSource db, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await PatronAccess.CheckAsync(connection, null, patronId, caller, cancellationToken) is { } refused)
        {
            return KohaAccountErrors.From(refused);
        }
        var kind = debits ? "debit_type_code" : "credit_type_code";
        var (ids, _) = await query.PageAsync<long>(db, "l.account_line_id", "FROM account_lines l", $"l.patron_id = @patronId AND l.{kind} IS NOT NULL",
            new { patronId }, http, cancellationToken);
        var lines = await KohaLines.KindsAsync(connection, null, ids, options.Currency, embed, cancellationToken);
        return TypedResults.Ok(lines.ToArray());
    }

    static async Task<Results<Ok<AccountOffsetDto[]>, ProblemHttpResult>> OffsetsAsync(
        long patronId, long lineId, bool debit, Caller caller, NpgsqlDataSource db, FiscusOptions options, CancellationToken cancellationToken)
    {
        if (await GetLineAsync(patronId, lineId, debit, KohaEmbed.None, caller, db, options, cancellationToken) is { Result: ProblemHttpResult refused })
        {
            return refused;
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var offsets = await connection.QueryAsync<AccountOffset>(new CommandDefinition(
            $"SELECT {AccountOffset.Columns} FROM account_offsets WHERE {(debit ? "debit_id" : "credit_id")} = @lineId ORDER BY account_offset_id",
            new { lineId }, cancellationToken: cancellationToken));
        return TypedResults.Ok(offsets.Select(o => AccountOffsetDto.From(o, options.Currency)).ToArray());
    }

    static async Task<Results<Ok<KohaLine>, ProblemHttpResult>> GetLineAsync(
        long patronId, long lineId, bool debit, KohaEmbed embed, Caller caller, NpgsqlDataSource db, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await PatronAccess.CheckAsync(connection, null, patronId, caller, cancellationToken) is { } refused)
        {
            return KohaAccountErrors.From(refused);
        }
        var kind = debit ? "debit_type_code" : "credit_type_code";
        var line = (await KohaLineRow.WhereAsync(connection, null, $"l.account_line_id = @lineId AND l.patron_id = @patronId AND l.{kind} IS NOT NULL",
            "l.account_line_id", new { lineId, patronId }, cancellationToken)).SingleOrDefault();
        return line is not null
            ? TypedResults.Ok(line.ToKind(options.Currency, embed))
            : KohaAccountErrors.From(Failure.NotFound(debit ? "debit_not_found" : "credit_not_found",
                $"There is no {(debit ? "debit" : "credit")} {lineId} on patron {patronId}'s account."));
    }

    static async Task<IResult> AddDebitAsync(
        [FromRoute(Name = "patron_id")] long patronId, AddDebitRequest request, KohaEmbed embed, [AsParameters] CommandCall call)
    {
        if (request.Amount <= 0)
        {
            return NotPositive();
        }
        var validation = new Validation().Text("type", request.Type, 80)
            .Texts(("description", request.Description, AccountRequestChecks.MaxText), ("internal_note", request.InternalNote, AccountRequestChecks.MaxText),
                ("library_id", request.LibraryId, 10), ("payout_type", request.PayoutType, 80))
            .Positive("item_id", request.ItemId);
        var amount = validation.Amount(request.Amount, call.Currency);
        var statements = KohaStatements.Check(validation, request.UserId, request.Interface, request.Date, request.CheckoutId,
            call.Options.DefaultTimeZone);
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        var command = new AddDebitCommand(request.Type, amount!.Value, request.Description, request.InternalNote, request.LibraryId,
            request.CashRegisterId, request.PayoutType, request.ItemId);
        return await call.RunAsync(Dialect.Native, request, null,
            scope => statements.AroundAsync(scope, patronId,
                () => scope.OnAccountAsync(patronId, account => AccountOperations.AddDebitAsync(account, command)), change => change.Line),
            async (scope, change) =>
            {
                var line = (await RowAsync(scope, change.Line.AccountLineId)).ToDebit(call.Currency, embed);
                return new Reply(201, line, $"/api/v1/patrons/{patronId}/account/debits/{line.AccountLineId}",
                    new AuditRecord("account.debit", "account_line", Ids.Text(line.AccountLineId), Details(statements,
                        ("patron_id", patronId), ("debit_type", line.Type), ("amount", line.Amount))));
            });
    }

    static async Task<IResult> AddCreditAsync(
        [FromRoute(Name = "patron_id")] long patronId, AddCreditRequest request, KohaEmbed embed, [AsParameters] CommandCall call)
    {
        if (request.Amount <= 0)
        {
            return NotPositive();
        }
        var creditType = request.CreditType ?? LineTypes.Payment;
        var validation = new Validation().Text("credit_type", creditType, 80)
            .Texts(("payment_type", request.PaymentType, 80), ("library_id", request.LibraryId, 10),
                ("description", request.Description, AccountRequestChecks.MaxText), ("note", request.Note, AccountRequestChecks.MaxText));
        var amount = validation.Amount(request.Amount, call.Currency);
        if (request.AccountLinesIds is { } listed && (listed.Length > 1000 || listed.Any(id => id <= 0)))
        {
            validation.Add("account_lines_ids", "account_lines_ids must be at most 1000 positive line ids");
        }
        var statements = KohaStatements.Check(validation, null, null, request.Date, null, call.Options.DefaultTimeZone);
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        var command = new AddCreditCommand(creditType, amount!.Value, request.PaymentType, request.CashRegisterId,
            request.AccountLinesIds ?? [], request.LibraryId, request.Description, request.Note);
        return await call.RunAsync(Dialect.Native, request, null,
            scope => statements.AroundAsync(scope, patronId,
                () => scope.OnAccountAsync(patronId, account => AccountOperations.AddCreditAsync(account, command)), change => change.Line),
            async (scope, change) =>
            {
                // Koha's addPatronCredit answers an account_line (credit_type), not a credit.
                var line = (await RowAsync(scope, change.Line.AccountLineId)).ToAccountLine(call.Currency, embed);
                return new Reply(201, line, $"/api/v1/patrons/{patronId}/account/credits/{line.AccountLineId}",
                    new AuditRecord("account.credit", "account_line", Ids.Text(line.AccountLineId), Details(statements,
                        ("patron_id", patronId), ("credit_type", line.CreditType), ("amount", line.Amount), ("payment_type", line.PaymentType),
                        ("applied_to", change.Changed.Select(d => d.AccountLineId).ToList()))));
            });
    }

    /// <summary>Koha's AmountNotPositive: its add_debit answers it before any other check of the body.</summary>
    static ProblemHttpResult NotPositive() =>
        KohaAccountErrors.From(Failure.Invalid("amount", "amount must be greater than 0"), KohaAccountErrors.AmountNotPositive);

    static Dictionary<string, object?> Details(KohaStatements statements, params (string Key, object? Value)[] facts)
    {
        var details = facts.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        foreach (var (key, value) in statements.AuditDetails())
        {
            details[key] = value;
        }
        return details;
    }

    static Task<IResult> VoidAsync(
        [FromRoute(Name = "patron_id")] long patronId, [FromRoute(Name = "account_line_id")] long lineId, NoteRequest? request,
        KohaEmbed embed, [AsParameters] CommandCall call) =>
        ActionAsync(patronId, lineId, request ?? new NoteRequest(), request?.Note, call, embed, "account.void",
            account => AccountOperations.VoidCreditAsync(account, lineId, request?.Note));

    static Task<IResult> CancelAsync(
        [FromRoute(Name = "patron_id")] long patronId, [FromRoute(Name = "account_line_id")] long lineId, NoteRequest? request,
        KohaEmbed embed, [AsParameters] CommandCall call) =>
        ActionAsync(patronId, lineId, request ?? new NoteRequest(), request?.Note, call, embed, "account.cancel",
            account => AccountOperations.CancelDebitAsync(account, lineId, request?.Note));

    static Task<IResult> WriteOffAsync(
        [FromRoute(Name = "patron_id")] long patronId, [FromRoute(Name = "account_line_id")] long lineId, WriteOffRequest? request,
        KohaEmbed embed, [AsParameters] CommandCall call)
    {
        request ??= new WriteOffRequest();
        var validation = new Validation();
        var amount = validation.Amount(request.Amount, call.Currency, required: false);
        return ActionAsync(patronId, lineId, request, request.Note, call, embed, "account.writeoff",
            account => AccountOperations.WriteOffDebitAsync(account, lineId, new WriteOffCommand(amount, request.Note)), validation);
    }

    static Task<IResult> RefundAsync(
        [FromRoute(Name = "patron_id")] long patronId, [FromRoute(Name = "account_line_id")] long lineId, RefundRequest? request,
        KohaEmbed embed, [AsParameters] CommandCall call)
    {
        request ??= new RefundRequest();
        var validation = new Validation().Texts(("payout_type", request.PayoutType, 80));
        var amount = validation.Amount(request.Amount, call.Currency, required: false);
        return ActionAsync(patronId, lineId, request, request.Note, call, embed, "account.refund",
            account => AccountOperations.RefundCreditAsync(account, lineId,
                new RefundCommand(amount, request.PayoutType, request.CashRegisterId, request.Note)), validation);
    }

    static async Task<IResult> ActionAsync(
        long patronId, long lineId, object request, string? note, CommandCall call, KohaEmbed embed, string auditAction,
        Func<PatronAccount, Task<Outcome<AccountChange>>> operation, Validation? validation = null)
    {
        validation ??= new Validation();
        validation.Texts(("note", note, AccountRequestChecks.MaxText));
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        return await call.RunAsync(Dialect.Native, request, null, scope => scope.OnAccountAsync(patronId, operation),
            async (scope, change) =>
            {
                var body = await ActionDtoAsync(change, scope, call, embed);
                // The money the action moved is its last new line (the PAYOUT of a refund, the VOID, the WRITEOFF, the CANCELLATION).
                var moved = change.Created.LastOrDefault();
                return new Reply(200, body, null, new AuditRecord(auditAction, "account_line", Ids.Text(lineId), new
                {
                    patron_id = patronId, created = change.Created.Select(l => l.AccountLineId), balance = body.Balance,
                    amount = moved is null ? (decimal?)null : Math.Abs(call.Currency.ToMajor(moved.AmountMinor)), note,
                }));
            });
    }

    static async Task<KohaLineRow> RowAsync(CommandScope scope, long lineId) =>
        (await KohaLineRow.LoadAsync(scope.Connection, scope.Transaction, [lineId], scope.CancellationToken))[0];

    static async Task<AccountActionDto> ActionDtoAsync(AccountChange change, CommandScope scope, CommandCall call, KohaEmbed embed)
    {
        var ids = new[] { change.Line.AccountLineId }.Concat(change.Created.Select(l => l.AccountLineId))
            .Concat(change.Changed.Select(l => l.AccountLineId)).ToList();
        var lines = (await KohaLineRow.LoadAsync(scope.Connection, scope.Transaction, ids, scope.CancellationToken))
            .ToDictionary(r => r.Line.AccountLineId, r => r.ToKind(call.Currency, embed));
        return new AccountActionDto(
            lines[change.Line.AccountLineId],
            change.Created.Select(l => lines[l.AccountLineId]).ToList(),
            change.Changed.Select(l => lines[l.AccountLineId]).ToList(),
            change.Offsets.Select(o => AccountOffsetDto.From(o, call.Currency)).ToList(),
            call.Currency.ToMajor(change.BalanceMinor));
    }
}
