using Fiscus.Ledger;
using Fiscus.Ledger.Commands;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.Shifts;
using Fiscus.Server.Commands;
using Fiscus.Server.Accounts;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Users;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using ShiftsLedger = Fiscus.Ledger.Shifts.CashierShifts;

namespace Fiscus.Server.Dialects.Shifts;

public sealed record StartShiftRequest(long StartCash, string Password, int? CashRegisterId = null);

public sealed record EndShiftRequest(string Password, long ActualCashEnd);

public sealed record CashTransactionRequest(string Type, long Amount, string Category, string? Description = null);

/// <summary>
/// POS Kasir's cashier shifts (<c>/api/v1/shifts/...</c>, its <c>{message, data}</c> envelope, amounts in minor
/// units): start with a counted float, pay cash in and out, end with the counted drawer. A shift is a staff
/// member's own (scope <c>shifts:write</c>, which API clients cannot hold); starting and ending it asks for
/// their password again. Managers list shifts left open and close them (<c>cashups:write</c>).
/// </summary>
public static class ShiftsApi
{
    const string Interface = "pos";

    /// <summary>POS Kasir's shift API: lines it writes are recorded as the <c>pos</c> interface; answers in the native JSON.</summary>
    static readonly Dialect Shifts = new(Interface);

    /// <summary>Unlike the native API's decimals, this dialect's money is whole minor units, as POS Kasir's: a 10.50 is refused saying so.</summary>
    static readonly WholeNumberHint MinorUnits = new(new HashSet<string>(["start_cash", "amount", "actual_cash_end"], StringComparer.Ordinal),
        "must be an integer number of minor units (1050 for 10.50): amounts in the shifts API are whole numbers, not decimals or strings.");

    public static IEndpointRouteBuilder MapShifts(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/shifts").WithTags("Cashier shifts").WithErrorShape(ShiftErrors.Instance).RequireAuthorization()
            .WithMetadata(MinorUnits);
        group.MapPost("/start", StartAsync).RequireAuthorization(Scopes.ShiftsWrite)
            .WithName("startShift").WithSummary("Start a shift with the cash in the drawer (password asked again)")
            .Produces<ShiftEnvelope<ShiftDto>>(201);
        group.MapPost("/cash-transaction", CashTransactionAsync).RequireAuthorization(Scopes.ShiftsWrite)
            .WithName("createCashTransaction").WithSummary("Pay cash into (cash_in) or out of (cash_out) the drawer of your open shift")
            .Produces<ShiftEnvelope<CashTransactionDto>>(201);
        group.MapPost("/end", EndAsync).RequireAuthorization(Scopes.ShiftsWrite)
            .WithName("endShift").WithSummary("End your shift with the cash counted (password asked again): expected, actual, difference")
            .Produces<ShiftEnvelope<ShiftDto>>();
        group.MapGet("/active", ActiveAsync).RequireAuthorization(Scopes.ShiftsWrite)
            .WithName("getActiveShift").WithSummary("Your open shift and the cash expected in its drawer now (data null if none)")
            .Produces<ShiftEnvelope<ShiftDto>>();
        group.MapGet("/current", ActiveAsync).RequireAuthorization(Scopes.ShiftsWrite)
            .WithName("getCurrentShift").WithSummary("The same as /active (POS Kasir's own path)");
        group.MapGet("/stale", StaleAsync).RequireAuthorization(Scopes.ReportsRead)
            .WithName("listStaleShifts").WithSummary("Shifts left open since before today (in their library's time zone)")
            .Produces<ShiftEnvelope<ShiftDto[]>>();
        group.MapGet("/{shift_id:guid}", GetAsync)
            .WithName("getShift").WithSummary("A shift with its cash transactions (your own, or any with reports:read)")
            .Produces<ShiftEnvelope<ShiftDto>>();
        group.MapPost("/{shift_id:guid}/end", EndOtherAsync).RequireAuthorization(Scopes.CashupsWrite, ScopeAuthorizationExtensions.StaffPolicy)
            .WithName("endShiftOf").WithSummary("A manager ends a shift left open, with the cash they counted (their password asked again)")
            .Produces<ShiftEnvelope<ShiftDto>>();
        return routes;
    }

    static async Task<IResult> StartAsync(StartShiftRequest request, [AsParameters] CommandCall call, SignIns signIns)
    {
        var (caller, options) = (call.Caller, call.Options);
        var validation = new Validation();
        Amount(validation, "start_cash", request.StartCash, 0, options.Currency);
        if (request.CashRegisterId is <= 0)
        {
            validation.Add("cash_register_id", "cash_register_id must be a positive whole number");
        }
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        if (await StepUpAsync(caller, request.Password, call.Http, signIns, call.CancellationToken) is { } refused)
        {
            return refused;
        }
        return await call.RunAsync(Shifts, new { request.StartCash, request.CashRegisterId }, null,
            scope => ShiftsLedger.StartAsync(scope.Connection, scope.Transaction, caller.Id, caller.LibraryId, request.CashRegisterId,
                request.StartCash, scope.Now, scope.CancellationToken),
            (scope, shift) =>
            {
                var dto = ShiftDto.Started(shift);
                var audit = new List<AuditRecord>
                {
                    new("shift.start", "shift", shift.ShiftId.ToString(),
                        new { shift.CashRegisterId, start_cash = request.StartCash, dto.BooksCashStart, dto.OpeningDifference }),
                };
                if (dto.OpeningDifference is not (null or 0))
                {
                    // An event of its own, so that an auditor finds every start that disagreed with the books in one query.
                    audit.Insert(0, new("shift.opening_difference", "shift", shift.ShiftId.ToString(),
                        new { shift.CashRegisterId, dto.StartCash, dto.BooksCashStart, dto.OpeningDifference, cashier = shift.Username }));
                }
                return Task.FromResult(new Reply(201, new ShiftEnvelope<ShiftDto>("Shift started successfully", dto), null, audit));
            });
    }

    static async Task<IResult> CashTransactionAsync(CashTransactionRequest request, [AsParameters] CommandCall call)
    {
        var options = call.Options;
        var validation = new Validation();
        if (request.Type is not (ShiftsLedger.CashIn or ShiftsLedger.CashOut))
        {
            validation.Add("type", "type must be cash_in or cash_out");
        }
        Amount(validation, "amount", request.Amount, 1, options.Currency);
        var category = request.Category.Trim();
        if (category.Length is 0 or > ShiftsLedger.MaxCategoryLength || category.Any(char.IsControl))
        {
            validation.Add("category", $"category must be 1 to {ShiftsLedger.MaxCategoryLength} characters of text (e.g. {string.Join(", ", ShiftsLedger.KnownCategories)})");
        }
        var description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim();
        validation.Text("description", description, 1000, required: false);
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        return await call.RunAsync(Shifts, request, null,
            scope => ShiftsLedger.AddCashAsync(scope.Connection, scope.Transaction, request.Type, request.Amount, category, description,
                scope.Ledger, scope.Now, scope.CancellationToken),
            (scope, cash) =>
            {
                var dto = CashTransactionDto.From(cash);
                return Task.FromResult(new Reply(201, new ShiftEnvelope<CashTransactionDto>("Cash transaction created successfully", dto), null,
                    new AuditRecord("shift.cash_transaction", "shift", dto.ShiftId.ToString(), new { dto.Type, dto.Amount, dto.Category, dto.AccountLineId })));
            });
    }

    static Task<IResult> EndAsync(EndShiftRequest request, [AsParameters] CommandCall call, SignIns signIns) =>
        EndShiftAsync(null, request, call, signIns);

    static Task<IResult> EndOtherAsync(
        [FromRoute(Name = "shift_id")] Guid shiftId, EndShiftRequest request, [AsParameters] CommandCall call, SignIns signIns) =>
        EndShiftAsync(shiftId, request, call, signIns);

    static async Task<IResult> EndShiftAsync(Guid? shiftId, EndShiftRequest request, CommandCall call, SignIns signIns)
    {
        var (caller, options) = (call.Caller, call.Options);
        var validation = new Validation();
        Amount(validation, "actual_cash_end", request.ActualCashEnd, 0, options.Currency);
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        if (await StepUpAsync(caller, request.Password, call.Http, signIns, call.CancellationToken) is { } refused)
        {
            return refused;
        }
        return await call.RunAsync(Shifts, new { shiftId, request.ActualCashEnd }, null,
            scope => ShiftsLedger.EndAsync(scope.Connection, scope.Transaction, caller.Id, shiftId, request.ActualCashEnd, scope.Now, scope.CancellationToken),
            (scope, ended) =>
            {
                var (shift, cash) = ended;
                var dto = ShiftDto.WithCash(shift, cash);
                return Task.FromResult(new Reply(200, new ShiftEnvelope<ShiftDto>("Shift ended successfully", dto), null,
                    new AuditRecord(shiftId is null ? "shift.end" : "shift.end_by_manager", "shift", shift.ShiftId.ToString(), new
                    {
                        dto.ExpectedCashEnd, dto.ActualCashEnd, dto.Difference, dto.OpeningDifference, dto.BooksCashEnd, dto.BooksDifference,
                        cashier = shift.Username,
                    })));
            });
    }

    static async Task<IResult> ActiveAsync(Caller caller, NpgsqlDataSource db, NativeJson json, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var shift = await ShiftsLedger.OpenOfAsync(connection, null, caller.Id, cancellationToken);
        if (shift is null)
        {
            return Results.Json(new ShiftEnvelope<ShiftDto>("No active shift", null), json.Options);
        }
        var cash = await ShiftsLedger.CashOfAsync(connection, null, shift.ShiftId, cancellationToken);
        return Results.Json(new ShiftEnvelope<ShiftDto>("Active shift retrieved successfully", ShiftDto.WithCash(shift, cash)), json.Options);
    }

    static async Task<IResult> GetAsync(
        [FromRoute(Name = "shift_id")] Guid shiftId, Caller caller, NpgsqlDataSource db, NativeJson json, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var shift = await ShiftsLedger.FindAsync(connection, null, shiftId, cancellationToken);
        // Someone else's shift is only for those who read reports (a bound client: of its register or library); to
        // anyone else it does not exist.
        var own = shift is not null && caller.Kind == CallerKind.User && shift.UserId == caller.Id && caller.HasScope(Scopes.ShiftsWrite);
        if (shift is null || !own && !caller.HasScope(Scopes.ReportsRead))
        {
            return ErrorShapes.Result(404, "shift_not_found", $"There is no shift {shiftId}.");
        }
        if (!own && caller.Binding.CheckRegister(shift.CashRegisterId, shift.LibraryId) is { } outside)
        {
            return CommandCall.Refuse(outside);
        }
        var cash = shift.FrozenCash ?? await ShiftsLedger.CashOfAsync(connection, null, shift.ShiftId, cancellationToken);
        var transactions = await ShiftsLedger.TransactionsOfAsync(connection, shift.ShiftId, cancellationToken);
        return Results.Json(new ShiftEnvelope<ShiftDto>("Shift retrieved successfully", ShiftDto.WithCash(shift, cash) with
        {
            Username = shift.Username,
            Transactions = transactions.Select(CashTransactionDto.From).ToList(),
        }), json.Options);
    }

    static async Task<IResult> StaleAsync(
        [FromQuery(Name = "library_id")] string? libraryId, Caller caller, NpgsqlDataSource db, TimeProvider time, NativeJson json,
        CancellationToken cancellationToken)
    {
        var binding = caller.Binding;
        if (libraryId is not null && binding.CheckLibrary(libraryId) is { } outside)
        {
            return CommandCall.Refuse(outside);
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var stale = await ShiftsLedger.StaleAsync(connection, libraryId ?? binding.LibraryId, binding.CashRegisterId, time.GetUtcNow(),
            cancellationToken);
        var cash = await ShiftsLedger.CashOfAsync(connection, null, stale.Select(s => s.ShiftId).ToArray(), cancellationToken);
        return Results.Json(new ShiftEnvelope<ShiftDto[]>($"{stale.Count} shift(s) left open since before today",
            stale.Select(s => ShiftDto.WithCash(s, cash.GetValueOrDefault(s.ShiftId, ShiftCash.None)) with { Username = s.Username }).ToArray()),
            json.Options);
    }

    /// <summary>
    /// The password again, for starting and ending a shift: the person at the till is the one signed in. Throttled per
    /// person and audited when wrong (<see cref="SignIns.StepUpAsync"/>).
    /// </summary>
    static async Task<IResult?> StepUpAsync(Caller caller, string password, HttpContext http, SignIns signIns, CancellationToken cancellationToken)
    {
        if (caller.Kind != CallerKind.User)
        {
            return ErrorShapes.Result(403, "staff_only", "Shifts belong to staff members; an API client cannot run one.");
        }
        var signIn = await signIns.StepUpAsync(http, caller, password, cancellationToken);
        return signIn.Refusal ?? (signIn.Value is null ? ErrorShapes.Result(401, "invalid_password", "Invalid password.") : null);
    }

    /// <summary>A whole number of minor units (this dialect's money, as Square's), from <paramref name="minimum"/> up to the ledger's bound.</summary>
    static void Amount(Validation validation, string field, long value, long minimum, Currency currency)
    {
        var maximum = AmountLimits.MaxMinor(currency);
        if (value < minimum || value > maximum)
        {
            validation.Add(field, $"{field} must be a whole number of minor units from {minimum} to {maximum}");
        }
    }
}
