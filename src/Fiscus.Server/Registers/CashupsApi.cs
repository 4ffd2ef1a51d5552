using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Commands;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Registers;
using Fiscus.Server.Commands;
using Fiscus.Server.Accounts;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Fiscus.Server.Registers;

public sealed record CountedRequest(string PaymentType, decimal Counted, string? Note = null);

/// <summary>Counted takings per payment type (not counting the float the drawer keeps), and a note.</summary>
public sealed record CashupRequest(CountedRequest[]? Reconciliations = null, string? Note = null);

/// <summary>
/// A register's session and cash-ups: <c>GET /cash_registers/{id}/session</c>, quick cash-up
/// <c>POST /cash_registers/{id}/cashups</c>, two-phase <c>POST .../cashups/start</c> then <c>POST .../cashups</c>,
/// <c>GET /cash_registers/{id}/cashups</c> (newest first) and <c>GET /cashups/{id}</c>, in Koha's <c>cashup</c> shape with
/// its embeds (<see cref="CashupDto"/>).
/// </summary>
public static class CashupsApi
{
    public static IEndpointRouteBuilder MapCashups(this IEndpointRouteBuilder routes)
    {
        var registers = routes.MapGroup("/api/v1/cash_registers/{cash_register_id:int}").WithTags("Cash-ups").RequireAuthorization();
        registers.MapGet("/session", SessionAsync).RequireAuthorization(Scopes.RegistersRead)
            .WithName("getRegisterSession").WithSummary("The live session: totals, float, expected cash, bankable, and its lines (paged)");
        registers.MapPost("/cashups", CompleteAsync).RequireAuthorization(Scopes.CashupsWrite)
            .WithName("addCashup").WithSummary("Cash up: reconcile counted amounts and close the session (completes a started count)")
            .Produces<CashupDto>(201);
        registers.MapPost("/cashups/start", StartAsync).RequireAuthorization(Scopes.CashupsWrite)
            .WithName("startCashup").WithSummary("Start counting: the session closes to new money, which goes to a new session")
            .Produces<CashupDto>(201);
        registers.MapGet("/cashups", ListAsync).RequireAuthorization(Scopes.RegistersRead).WithKohaEmbeds(CashupDto.Embeds)
            .WithName("listCashups").WithSummary("The register's cash-ups, newest first (x-koha-embed: manager, summary, fiscus)")
            .WithKohaList(KohaLists.Cashups);
        routes.MapGet("/api/v1/cashups/{cashup_id:long}", GetAsync).WithTags("Cash-ups").RequireAuthorization(Scopes.RegistersRead)
            .WithKohaEmbeds(CashupDto.Embeds)
            .WithName("getCashup").WithSummary("A cash-up (x-koha-embed: manager, summary — frozen as counted —, fiscus)");
        return routes;
    }

    static async Task<Results<Ok<SessionDto>, ProblemHttpResult>> SessionAsync(
        [FromRoute(Name = "cash_register_id")] int registerId, Paging paging, Caller caller, HttpContext http, NpgsqlDataSource db,
        FiscusOptions options, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        if (await ReadableRegisterAsync(connection, transaction, registerId, caller, cancellationToken) is { } refused)
        {
            return ApiProblems.From(refused);
        }
        var session = (await RegisterSessions.FindAsync(connection, transaction, registerId, "open", cancellationToken))!;
        var summary = await SessionSummary.ComputeAsync(connection, transaction, session, cancellationToken);
        var lines = await AccountLineDto.WhereAsync(connection, transaction, "l.register_session_id = @id",
            "l.account_line_id OFFSET @Offset LIMIT @PerPage", new { id = session.RegisterSessionId, paging.Offset, paging.PerPage },
            options.Currency, cancellationToken);
        paging.WriteHeaders(http, summary.LineCount);
        return TypedResults.Ok(new SessionDto(registerId, session.RegisterSessionId, session.Status, SummaryDto.From(summary, options.Currency), lines));
    }

    static async Task<IResult> CompleteAsync(
        [FromRoute(Name = "cash_register_id")] int registerId, CashupRequest request, [AsParameters] CommandCall call)
    {
        var options = call.Options;
        var validation = new Validation().Text("note", request.Note, 1000, required: false);
        var counted = new List<CountedAmount>();
        foreach (var (item, i) in (request.Reconciliations ?? []).Select((r, i) => (r, i)))
        {
            if (item is null)
            {
                validation.Add($"reconciliations[{i}]", "A reconciliation cannot be null.");
                continue;
            }
            validation.Text($"reconciliations[{i}].payment_type", item.PaymentType, 80).Text($"reconciliations[{i}].note", item.Note, 1000, required: false);
            var minor = WireMoney.ToMinor(validation, $"reconciliations[{i}].counted", item.Counted, options.Currency, WireMoney.Sign.Any, true);
            if (minor is { } amount)
            {
                counted.Add(new CountedAmount(item.PaymentType, amount, string.IsNullOrWhiteSpace(item.Note) ? null : item.Note.Trim()));
            }
        }
        if (!validation.IsValid)
        {
            return CommandCall.Refuse(validation.ToFailure());
        }
        var command = new CashupCommand(counted, request.Note, options.CashupNoteRequired);
        return await call.RunAsync(Dialect.Native, request, null,
            scope => Cashups.CompleteAsync(scope.Connection, scope.Transaction, registerId, command, scope.Ledger, scope.Now, scope.CancellationToken),
            async (scope, done) =>
            {
                var dto = await WrittenAsync(scope, done.Cashup, done.Summary, options);
                return new Reply(201, dto, $"/api/v1/cashups/{done.Cashup.CashupId}",
                    new AuditRecord("cashup.complete", "cashup", Ids.Text(done.Cashup.CashupId),
                        new { cash_register_id = registerId, dto.Amount, differences = dto.Fiscus!.Reconciliations.Where(r => r.Difference != 0) }));
            });
    }

    static Task<IResult> StartAsync([FromRoute(Name = "cash_register_id")] int registerId, [AsParameters] CommandCall call) =>
        call.RunAsync(Dialect.Native, new { registerId }, null,
            scope => Cashups.StartAsync(scope.Connection, scope.Transaction, registerId, scope.Ledger, scope.Now, scope.CancellationToken),
            async (scope, started) => new Reply(201, await WrittenAsync(scope, started.Cashup, started.Summary, call.Options),
                $"/api/v1/cashups/{started.Cashup.CashupId}",
                new AuditRecord("cashup.start", "cashup", Ids.Text(started.Cashup.CashupId), new { cash_register_id = registerId })));

    /// <summary>
    /// The answer to a cash-up just started or completed (Fiscus's own routes; Koha has no POST): every embed, since whoever
    /// counted wants to see the count, read in the transaction that wrote it.
    /// </summary>
    static async Task<CashupDto> WrittenAsync(CommandScope scope, Cashup cashup, SessionSummary summary, FiscusOptions options)
    {
        var row = await scope.Connection.QuerySingleAsync<CashupRow>(new CommandDefinition(
            $"SELECT {CashupRow.Columns} FROM cashups WHERE cashup_id = @CashupId", new { cashup.CashupId }, scope.Transaction,
            cancellationToken: scope.CancellationToken));
        var managers = await CashupManagers.FindAsync(scope.Connection, scope.Transaction, [row.ManagerId], scope.CancellationToken);
        return Dto(row, summary, summary.Reconciliations, managers[row.ManagerId], new KohaEmbed(CashupDto.Embeds.ToHashSet(StringComparer.Ordinal)), options);
    }

    static async Task<Results<Ok<CashupDto[]>, ProblemHttpResult>> ListAsync(
        [FromRoute(Name = "cash_register_id")] int registerId, KohaQuery query, KohaEmbed embed, Caller caller, HttpContext http,
        NpgsqlDataSource db, FiscusOptions options, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await ReadableRegisterAsync(connection, null, registerId, caller, cancellationToken) is { } refused)
        {
            return ApiProblems.From(refused);
        }
        var (rows, _) = await query.PageAsync<CashupRow>(db, CashupRow.Columns, "FROM cashups", "cash_register_id = @registerId", new { registerId },
            http, cancellationToken);
        var managers = embed.Has(RegisterEmbeds.Manager)
            ? await CashupManagers.FindAsync(connection, null, rows.Select(r => r.ManagerId).Distinct().ToArray(), cancellationToken)
            : null;
        var dtos = new List<CashupDto>();
        foreach (var row in rows)
        {
            dtos.Add(await DtoAsync(connection, row, embed, managers, options, cancellationToken));
        }
        return TypedResults.Ok(dtos.ToArray());
    }

    static async Task<Results<Ok<CashupDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "cashup_id")] long cashupId, KohaEmbed embed, Caller caller, NpgsqlDataSource db, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<CashupRow>(new CommandDefinition(
            $"SELECT {CashupRow.Columns} FROM cashups WHERE cashup_id = @cashupId", new { cashupId }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return ApiProblems.NotFound("cashup_not_found", "Cashup not found");
        }
        if (await ReadableRegisterAsync(connection, null, row.CashRegisterId, caller, cancellationToken) is { } refused)
        {
            return ApiProblems.From(refused);
        }
        var managers = embed.Has(RegisterEmbeds.Manager)
            ? await CashupManagers.FindAsync(connection, null, [row.ManagerId], cancellationToken)
            : null;
        return TypedResults.Ok(await DtoAsync(connection, row, embed, managers, options, cancellationToken));
    }

    /// <summary>
    /// A stored cash-up as asked for. Its summary is read only when embedded, or when the count is still going on: then
    /// Koha's <c>amount</c> is what the session's lines say so far (the session takes no more money while it is counted).
    /// </summary>
    static async Task<CashupDto> DtoAsync(
        NpgsqlConnection connection, CashupRow row, KohaEmbed embed, IReadOnlyDictionary<long, CashupManagerDto>? managers,
        FiscusOptions options, CancellationToken cancellationToken)
    {
        var cashup = row.Cashup;
        var summary = embed.Has(RegisterEmbeds.Summary) || cashup.AmountMinor is null
            ? await SummaryOfAsync(connection, cashup, cancellationToken)
            : null;
        var reconciliations = embed.Has(RegisterEmbeds.Fiscus) ? await ReconciliationsAsync(connection, cashup, cancellationToken) : [];
        return Dto(row, summary, reconciliations, managers?[row.ManagerId], embed, options);
    }

    /// <summary>A completed cash-up's summary as it was counted; a count in progress shows its session as it stands.</summary>
    static async Task<SessionSummary> SummaryOfAsync(NpgsqlConnection connection, Cashup cashup, CancellationToken cancellationToken)
    {
        if (cashup.FrozenSummary is { } frozen)
        {
            return frozen;
        }
        var session = await connection.QuerySingleAsync<RegisterSession>(new CommandDefinition(
            $"SELECT {RegisterSession.Columns} FROM register_sessions WHERE register_session_id = @RegisterSessionId",
            new { cashup.RegisterSessionId }, cancellationToken: cancellationToken));
        return await SessionSummary.ComputeAsync(connection, null, session, cancellationToken);
    }

    static async Task<IReadOnlyList<ReconciliationLine>> ReconciliationsAsync(NpgsqlConnection connection, Cashup cashup, CancellationToken cancellationToken) =>
        cashup.FrozenSummary?.Reconciliations ?? (await connection.QueryAsync<ReconciliationLine>(new CommandDefinition(
            "SELECT payment_type, expected_minor, counted_minor, note, account_line_id FROM cashup_reconciliations WHERE cashup_id = @CashupId ORDER BY payment_type",
            new { cashup.CashupId }, cancellationToken: cancellationToken))).AsList();

    static CashupDto Dto(
        CashupRow row, SessionSummary? summary, IReadOnlyList<ReconciliationLine> reconciliations, CashupManagerDto? manager, KohaEmbed embed,
        FiscusOptions options)
    {
        var c = options.Currency;
        var cashup = row.Cashup;
        var fiscus = embed.Has(RegisterEmbeds.Fiscus)
            ? new CashupFiscusDto(row.ClientId, cashup.RegisterSessionId, cashup.CompletedAt is null ? "counting" : "completed", cashup.StartedAt,
                cashup.CompletedAt, cashup.Note,
                reconciliations.Select(r => new ReconciliationDto(r.PaymentType, c.ToMajor(r.ExpectedMinor), c.ToMajor(r.CountedMinor),
                    c.ToMajor(r.DifferenceMinor), r.Note, r.AccountLineId)).ToList())
            : null;
        return new CashupDto(cashup.CashupId, cashup.CashRegisterId, row.ManagerId, c.ToMajor(cashup.AmountMinor ?? summary!.TotalMinor),
            cashup.CompletedAt ?? cashup.StartedAt,
            embed.Has(RegisterEmbeds.Manager) ? manager : null,
            embed.Has(RegisterEmbeds.Summary) && summary is not null ? SummaryDto.From(summary, c) : null,
            fiscus);
    }

    /// <summary>The register must exist (404) and be one the caller may see (403 for a client bound elsewhere).</summary>
    internal static async Task<Failure?> ReadableRegisterAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, int registerId, Caller caller, CancellationToken cancellationToken)
    {
        var register = await CashRegistersApi.FindAsync(connection, transaction, registerId, cancellationToken);
        if (register is null)
        {
            return CashRegistersApi.RegisterNotFound();
        }
        return caller.Binding.CheckRegister(register.CashRegisterId, register.LibraryId);
    }
}
