using Fiscus.Ledger.Audit;
using System.Globalization;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Fiscus.Server.Registers;

/// <summary>
/// <c>/api/v1/cash_registers</c>: the tills money is journaled to. Names are unique per library, each library
/// has at most one default register, and an archived register is never the default. Clients bound to a
/// register or a library see only what they are bound to.
/// </summary>
public static class CashRegistersApi
{
    public static RouteGroupBuilder MapCashRegisters(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/cash_registers").WithTags("Cash registers").RequireAuthorization();
        group.MapGet("/", ListAsync).RequireAuthorization(Scopes.RegistersRead)
            .WithName("listCashRegisters").WithSummary("List cash registers").WithKohaEmbeds(CashRegisterDto.Embeds)
            .WithKohaList(KohaLists.CashRegisters);
        group.MapGet("/{cash_register_id:int}", GetAsync).RequireAuthorization(Scopes.RegistersRead)
            .WithName("getCashRegister").WithSummary("Get a cash register").WithKohaEmbeds(CashRegisterDto.Embeds);
        group.MapPost("/", CreateAsync).RequireAuthorization(Scopes.RegistersWrite)
            .WithName("addCashRegister").WithSummary("Add a cash register").WithKohaEmbeds(CashRegisterDto.Embeds);
        group.MapPut("/{cash_register_id:int}", UpdateAsync).RequireAuthorization(Scopes.RegistersWrite)
            .WithName("updateCashRegister").WithSummary("Update a cash register").WithKohaEmbeds(CashRegisterDto.Embeds);
        group.MapPost("/{cash_register_id:int}/archive", (int cash_register_id, KohaEmbed embed, Caller caller, HttpContext http,
                NpgsqlDataSource db, TimeProvider time, FiscusOptions options, CancellationToken ct) =>
                SetArchivedAsync(cash_register_id, true, embed, caller, http, db, time, options, ct))
            .RequireAuthorization(Scopes.RegistersWrite).WithKohaEmbeds(CashRegisterDto.Embeds)
            .WithName("archiveCashRegister").WithSummary("Archive a cash register (it takes no more money)");
        group.MapPost("/{cash_register_id:int}/unarchive", (int cash_register_id, KohaEmbed embed, Caller caller, HttpContext http,
                NpgsqlDataSource db, TimeProvider time, FiscusOptions options, CancellationToken ct) =>
                SetArchivedAsync(cash_register_id, false, embed, caller, http, db, time, options, ct))
            .RequireAuthorization(Scopes.RegistersWrite).WithKohaEmbeds(CashRegisterDto.Embeds)
            .WithName("unarchiveCashRegister").WithSummary("Bring an archived cash register back into use");
        return group;
    }

    static async Task<Results<Ok<CashRegisterDto[]>, ProblemHttpResult>> ListAsync(
        KohaQuery query, KohaEmbed embed, Caller caller, HttpContext http, NpgsqlDataSource db, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        // A bound client lists what it is bound to; asking for another library is refused rather than answered empty.
        if (query.Filter("library_id") is { } libraryId && caller.Binding.CheckLibrary(libraryId) is { } outside)
        {
            return ApiProblems.From(outside);
        }
        const string bound = """
            (@boundRegister::integer IS NULL OR cash_register_id = @boundRegister)
              AND (@boundLibrary::text IS NULL OR library_id = @boundLibrary)
            """;
        var parameters = new { boundRegister = caller.Binding.CashRegisterId, boundLibrary = caller.Binding.LibraryId };
        var (rows, _) = await query.PageAsync<CashRegisterRow>(db, CashRegisterRow.Columns, "FROM cash_registers", bound, parameters, http,
            cancellationToken);
        return TypedResults.Ok(rows.Select(r => CashRegisterDto.From(r, options.Currency, embed)).ToArray());
    }

    static async Task<Results<Ok<CashRegisterDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "cash_register_id")] int cashRegisterId, KohaEmbed embed, Caller caller, NpgsqlDataSource db, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var register = await FindAsync(connection, null, cashRegisterId, cancellationToken);
        if (register is null)
        {
            return ApiProblems.From(RegisterNotFound());
        }
        return caller.Binding.CheckRegister(register.CashRegisterId, register.LibraryId) is { } outside
            ? ApiProblems.From(outside)
            : TypedResults.Ok(CashRegisterDto.From(register, options.Currency, embed));
    }

    static async Task<Results<Created<CashRegisterDto>, ProblemHttpResult>> CreateAsync(
        CreateCashRegisterRequest request, KohaEmbed embed, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time,
        FiscusOptions options, CancellationToken cancellationToken)
    {
        var validation = Validate(request.Name, request.Description);
        var floatMinor = WireMoney.ToMinor(validation, "starting_float", request.StartingFloat, options.Currency,
            WireMoney.Sign.NonNegative, required: false) ?? 0;
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<CashRegisterRow>>(db, async (connection, transaction) =>
        {
            if (await CheckWriteAsync(connection, transaction, request.LibraryId, request.Name, null, cancellationToken) is { } failure)
            {
                return failure;
            }
            var now = time.GetUtcNow();
            var isDefault = request.LibraryDefault == true;
            if (isDefault)
            {
                await DropDefaultAsync(connection, transaction, request.LibraryId, now, cancellationToken);
            }
            var register = await connection.QuerySingleAsync<CashRegisterRow>(new CommandDefinition($"""
                INSERT INTO cash_registers (name, description, library_id, starting_float_minor, library_default, created_at, updated_at)
                VALUES (@Name, @description, @LibraryId, @floatMinor, @isDefault, @now, @now)
                RETURNING {CashRegisterRow.Columns}
                """,
                new { request.Name, description = request.Description ?? "", request.LibraryId, floatMinor, isDefault, now },
                transaction, cancellationToken: cancellationToken));
            await Ledger.Registers.RegisterSessions.OpenAsync(connection, transaction, register.CashRegisterId, register.StartingFloatMinor, now,
                cancellationToken);
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "cash_register.create",
                "cash_register", Id(register.CashRegisterId), register, cancellationToken);
            return register;
        }, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created(Location(outcome.Value!.CashRegisterId), CashRegisterDto.From(outcome.Value, options.Currency, embed))
            : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<CashRegisterDto>, ProblemHttpResult>> UpdateAsync(
        [FromRoute(Name = "cash_register_id")] int cashRegisterId, UpdateCashRegisterRequest request, KohaEmbed embed, Caller caller,
        HttpContext http, NpgsqlDataSource db, TimeProvider time, FiscusOptions options, CancellationToken cancellationToken)
    {
        var validation = Validate(request.Name, request.Description);
        var floatMinor = WireMoney.ToMinor(validation, "starting_float", request.StartingFloat, options.Currency,
            WireMoney.Sign.NonNegative, required: false);
        if (request.CashRegisterId is { } echoed && echoed != cashRegisterId)
        {
            validation.Add("cash_register_id", "cash_register_id cannot be changed");
        }
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<CashRegisterRow>>(db, async (connection, transaction) =>
        {
            if (await FindAsync(connection, transaction, cashRegisterId, cancellationToken) is null)
            {
                return RegisterNotFound();
            }
            // Locks in a fixed order, library then register, as creation does.
            if (await CheckWriteAsync(connection, transaction, request.LibraryId, request.Name, cashRegisterId, cancellationToken) is { } failure)
            {
                return failure;
            }
            var before = (await FindAsync(connection, transaction, cashRegisterId, cancellationToken, forUpdate: true))!;
            if (request.Archived is { } archived && archived != before.Archived)
            {
                return Failure.Invalid("archived", "archived cannot be changed by PUT; use the archive or unarchive action");
            }
            var isDefault = request.LibraryDefault ?? before.LibraryDefault;
            if (isDefault && before.Archived)
            {
                return Failure.Conflict("register_archived", $"Register {cashRegisterId} is archived and cannot be a library's default.");
            }
            var now = time.GetUtcNow();
            if (isDefault && !(before.LibraryDefault && before.LibraryId == request.LibraryId))
            {
                await DropDefaultAsync(connection, transaction, request.LibraryId, now, cancellationToken);
            }
            var register = await connection.QuerySingleAsync<CashRegisterRow>(new CommandDefinition($"""
                UPDATE cash_registers
                SET name = @Name, description = @description, library_id = @LibraryId, starting_float_minor = @floatMinor,
                    library_default = @isDefault, updated_at = @now
                WHERE cash_register_id = @cashRegisterId
                RETURNING {CashRegisterRow.Columns}
                """,
                new
                {
                    request.Name, description = request.Description ?? before.Description, request.LibraryId,
                    floatMinor = floatMinor ?? before.StartingFloatMinor, isDefault, now, cashRegisterId,
                },
                transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "cash_register.update",
                "cash_register", Id(cashRegisterId), new { from = before, to = register }, cancellationToken);
            return register;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(CashRegisterDto.From(outcome.Value!, options.Currency, embed)) : ApiProblems.From(outcome.Failure!);
    }

    /// <summary>
    /// Whether the register holds lines not yet cashed up. Its sessions still taking money are locked first: that waits
    /// for sales already writing to them, and the ones after it find the register archived (a trigger refuses them).
    /// </summary>
    static async Task<bool> UncountedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int cashRegisterId, CancellationToken cancellationToken)
    {
        if (await FindAsync(connection, transaction, cashRegisterId, cancellationToken, forUpdate: true) is null)
        {
            return false;
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT 1 FROM register_sessions WHERE cash_register_id = @cashRegisterId AND status <> 'closed' FOR UPDATE",
            new { cashRegisterId }, transaction, cancellationToken: cancellationToken));
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM register_sessions s JOIN account_lines l ON l.register_session_id = s.register_session_id
                           WHERE s.cash_register_id = @cashRegisterId AND s.status <> 'closed')
            """, new { cashRegisterId }, transaction, cancellationToken: cancellationToken));
    }

    static async Task<Results<Ok<CashRegisterDto>, ProblemHttpResult>> SetArchivedAsync(
        int cashRegisterId, bool archived, KohaEmbed embed, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time,
        FiscusOptions options, CancellationToken cancellationToken)
    {
        var outcome = await Transactions.RunAsync<Outcome<CashRegisterRow>>(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            if (archived && await UncountedAsync(connection, transaction, cashRegisterId, cancellationToken))
            {
                return Failure.Conflict("register_not_cashed_up",
                    string.Create(CultureInfo.InvariantCulture, $"Register {cashRegisterId} holds money not yet cashed up; cash it up before archiving it."));
            }
            if (archived && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM shifts WHERE cash_register_id = @cashRegisterId AND status = 'open')",
                    new { cashRegisterId }, transaction, cancellationToken: cancellationToken)))
            {
                return Failure.Conflict("register_has_open_shift",
                    string.Create(CultureInfo.InvariantCulture, $"A cashier's shift is open at register {cashRegisterId}; end it before archiving the register."));
            }
            // Archiving also gives up the library-default flag: money has nowhere to go by default until
            // a manager picks another register.
            var register = await connection.QuerySingleOrDefaultAsync<CashRegisterRow>(new CommandDefinition($"""
                UPDATE cash_registers
                SET archived = @archived, library_default = library_default AND NOT @archived, updated_at = @now
                WHERE cash_register_id = @cashRegisterId
                RETURNING {CashRegisterRow.Columns}
                """, new { archived, now, cashRegisterId }, transaction, cancellationToken: cancellationToken));
            if (register is null)
            {
                return RegisterNotFound();
            }
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now,
                archived ? "cash_register.archive" : "cash_register.unarchive", "cash_register", Id(cashRegisterId), null,
                cancellationToken);
            return register;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(CashRegisterDto.From(outcome.Value!, options.Currency, embed)) : ApiProblems.From(outcome.Failure!);
    }

    static Validation Validate(string name, string? description) =>
        new Validation().Text("name", name, 24).Text("description", description, 1000, required: false);

    /// <summary>
    /// The library must exist and the name must be free in it (case-insensitively). Locks the library row so
    /// that register writes in one library (names, the default flag) happen one at a time.
    /// </summary>
    static async Task<Failure?> CheckWriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string libraryId, string name, int? exceptRegisterId,
        CancellationToken cancellationToken)
    {
        if (await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT library_id FROM libraries WHERE library_id = @libraryId FOR NO KEY UPDATE", new { libraryId }, transaction,
            cancellationToken: cancellationToken)) is null)
        {
            return Failure.Invalid("unknown_library", "library_id", $"library_id '{libraryId}' does not name a library.");
        }
        var clash = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM cash_registers
                           WHERE library_id = @libraryId AND lower(name) = lower(@name)
                             AND cash_register_id IS DISTINCT FROM @exceptRegisterId)
            """, new { libraryId, name, exceptRegisterId }, transaction, cancellationToken: cancellationToken));
        return clash
            ? Failure.Conflict("register_name_taken", $"Library {libraryId} already has a register called '{name}'.")
            : null;
    }

    /// <summary>Koha's make_default: the library's previous default stops being one, in the same transaction.</summary>
    static Task DropDefaultAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string libraryId, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE cash_registers SET library_default = false, updated_at = @now WHERE library_id = @libraryId AND library_default",
            new { libraryId, now }, transaction, cancellationToken: cancellationToken));

    internal static Task<CashRegisterRow?> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, int cashRegisterId, CancellationToken cancellationToken,
        bool forUpdate = false) =>
        connection.QuerySingleOrDefaultAsync<CashRegisterRow>(new CommandDefinition(
            $"SELECT {CashRegisterRow.Columns} FROM cash_registers WHERE cash_register_id = @cashRegisterId{(forUpdate ? " FOR UPDATE" : "")}",
            new { cashRegisterId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Koha's message (its clients and tests match it); the register's id is the one in the request.</summary>
    internal static Failure RegisterNotFound() => Failure.NotFound("register_not_found", "Register not found");

    static string Location(int cashRegisterId) => string.Create(CultureInfo.InvariantCulture, $"/api/v1/cash_registers/{cashRegisterId}");

    static string Id(int id) => id.ToString(CultureInfo.InvariantCulture);
}
