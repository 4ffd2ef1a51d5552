using Fiscus.Ledger.Audit;
using System.Globalization;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Fiscus.Server.Patrons;

/// <summary>A patron: the least Fiscus needs to hold an account (it is not an ILS).</summary>
public sealed record PatronDto(long PatronId, string Cardnumber, string? Firstname, string Surname, string LibraryId, bool Secured)
{
    public const string Columns = "patron_id, cardnumber, firstname, surname, library_id, secured";
}

/// <summary>
/// <c>patron_id</c> may be given so that an import keeps the ILS's own ids (then Koha-style paths such as
/// <c>/patrons/{patron_id}/account</c> work with the ids integrators already have); otherwise one is assigned.
/// <c>pin</c> (write-only, as <c>PUT /patrons/{patron_id}/pin</c> sets it) is the patron's PIN for self-service kiosks.
/// </summary>
public sealed record CreatePatronRequest(
    string Cardnumber, string Surname, string LibraryId, string? Firstname = null, bool? Secured = null, long? PatronId = null,
    string? Pin = null);

/// <summary>PUT body: optional fields left out keep their value; <c>patron_id</c> may be echoed, not changed.</summary>
public sealed record UpdatePatronRequest(
    string Cardnumber, string Surname, string LibraryId, string? Firstname = null, bool? Secured = null, long? PatronId = null);

/// <summary><c>/api/v1/patrons</c>: the people whose accounts the ledger keeps.</summary>
public static class PatronsApi
{
    public const long MaxImportedPatronId = 9_007_199_254_740_991;

    public static RouteGroupBuilder MapPatrons(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/patrons").WithTags("Patrons").RequireAuthorization();
        group.MapGet("/", ListAsync).RequireAuthorization(Scopes.AccountsRead)
            .WithName("listPatrons").WithSummary("List or find patrons (by cardnumber, surname prefix or library)")
            .WithKohaList(KohaLists.Patrons);
        group.MapGet("/{patron_id:long}", GetAsync).RequireAuthorization(Scopes.AccountsRead)
            .WithName("getPatron").WithSummary("Get a patron");
        group.MapPost("/", CreateAsync).RequireAuthorization(Scopes.PatronsWrite)
            .WithName("addPatron").WithSummary("Add (or import) a patron");
        group.MapPut("/{patron_id:long}", UpdateAsync).RequireAuthorization(Scopes.PatronsWrite)
            .WithName("updatePatron").WithSummary("Update a patron (including securing the record)");
        return group;
    }

    static async Task<Results<Ok<PatronDto[]>, ProblemHttpResult>> ListAsync(
        KohaQuery query, Caller caller, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        // A bound client finds only its library's patrons; asking for another library is refused rather than answered empty.
        if (query.Filter("library_id") is { } libraryId && caller.Binding.CheckLibrary(libraryId) is { } outside)
        {
            return ApiProblems.From(outside);
        }
        var (rows, _) = await query.PageAsync<PatronDto>(db, PatronDto.Columns, "FROM patrons",
            "(@boundLibrary::text IS NULL OR library_id = @boundLibrary)", new { boundLibrary = caller.Binding.LibraryId }, http, cancellationToken);
        return TypedResults.Ok(rows.ToArray());
    }

    static async Task<Results<Ok<PatronDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "patron_id")] long patronId, Caller caller, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var patron = await FindAsync(connection, null, patronId, cancellationToken);
        return patron is null ? ApiProblems.From(PatronNotFound(patronId))
            : caller.Binding.CheckPatron(patronId, patron.LibraryId) is { } outside ? ApiProblems.From(outside)
            : TypedResults.Ok(patron);
    }

    static async Task<Results<Created<PatronDto>, ProblemHttpResult>> CreateAsync(
        CreatePatronRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time, PatronPins pins,
        CancellationToken cancellationToken)
    {
        var validation = Validate(request.Cardnumber, request.Surname, request.Firstname);
        if (request.Pin is not null && PatronPins.Problem(request.Pin) is { } pinProblem)
        {
            validation.Add("pin", pinProblem);
        }
        // Imported ids stay within what every JSON client reads exactly (JavaScript's 2^53 - 1), which also leaves the
        // id sequence (kept ahead of imports) room for every patron to come.
        if (request.PatronId is <= 0 or > MaxImportedPatronId)
        {
            validation.Add("patron_id", $"patron_id must be a whole number from 1 to {MaxImportedPatronId}");
        }
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var pinHash = request.Pin is null ? null : pins.Hash(request.Pin);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var outcome = await InsertAsync(request, pinHash, caller.Binding, AuditActors.From(caller, http), db, time, cancellationToken);
                return outcome.Succeeded
                    ? TypedResults.Created(Location(outcome.Value!.PatronId), outcome.Value)
                    : ApiProblems.From(outcome.Failure!);
            }
            catch (PostgresException e) when (request.PatronId is null && attempt < 3 &&
                e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "patrons_pkey" })
            {
                // An import took the id the sequence just handed out; the sequence has moved past it now.
            }
        }
    }

    static Task<Outcome<PatronDto>> InsertAsync(
        CreatePatronRequest request, string? pinHash, Binding binding, AuditActor actor, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken) =>
        Transactions.RunAsync<Outcome<PatronDto>>(db, async (connection, transaction) =>
        {
            if (await CheckAsync(connection, transaction, binding, request.LibraryId, request.Cardnumber, null, cancellationToken) is { } failure)
            {
                return failure;
            }
            if (request.PatronId is { } wanted && await FindAsync(connection, transaction, wanted, cancellationToken) is not null)
            {
                return Failure.Conflict("patron_exists", $"Patron {wanted} already exists.");
            }
            var now = time.GetUtcNow();
            var values = new
            {
                request.PatronId, request.Cardnumber, request.Firstname, request.Surname, request.LibraryId,
                secured = request.Secured ?? false, now,
            };
            var patron = await connection.QuerySingleAsync<PatronDto>(new CommandDefinition($"""
                INSERT INTO patrons (patron_id, cardnumber, firstname, surname, library_id, secured, created_at, updated_at)
                VALUES (COALESCE(@PatronId::bigint, nextval(pg_get_serial_sequence('patrons', 'patron_id'))),
                        @Cardnumber, @Firstname, @Surname, @LibraryId, @secured, @now, @now)
                RETURNING {PatronDto.Columns}
                """, values, transaction, cancellationToken: cancellationToken));
            if (request.PatronId is not null)
            {
                // Keep the sequence ahead of imported ids so assigned ids never collide with them.
                await connection.ExecuteAsync(new CommandDefinition(
                    "SELECT setval(pg_get_serial_sequence('patrons', 'patron_id'), GREATEST(@PatronId::bigint, (SELECT last_value FROM patrons_patron_id_seq)))",
                    new { request.PatronId }, transaction, cancellationToken: cancellationToken));
            }
            await AuditLog.WriteAsync(connection, transaction, actor, now, "patron.create", "patron", Id(patron.PatronId), patron, cancellationToken);
            if (pinHash is not null)
            {
                await PatronPins.WriteAsync(connection, transaction, patron.PatronId, pinHash, actor, now, cancellationToken);
            }
            return patron;
        }, cancellationToken);

    static async Task<Results<Ok<PatronDto>, ProblemHttpResult>> UpdateAsync(
        [FromRoute(Name = "patron_id")] long patronId, UpdatePatronRequest request, Caller caller, HttpContext http,
        NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = Validate(request.Cardnumber, request.Surname, request.Firstname);
        if (request.PatronId is { } echoed && echoed != patronId)
        {
            validation.Add("patron_id", "patron_id cannot be changed");
        }
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<PatronDto>>(db, async (connection, transaction) =>
        {
            var before = await FindAsync(connection, transaction, patronId, cancellationToken, forUpdate: true);
            if (before is null)
            {
                return PatronNotFound(patronId);
            }
            // Neither the patron as they are nor as they would be may lie outside a bound client's library.
            if (caller.Binding.CheckPatron(patronId, before.LibraryId) is { } outside)
            {
                return outside;
            }
            if (await CheckAsync(connection, transaction, caller.Binding, request.LibraryId, request.Cardnumber, patronId, cancellationToken) is { } failure)
            {
                return failure;
            }
            var now = time.GetUtcNow();
            var patron = await connection.QuerySingleAsync<PatronDto>(new CommandDefinition($"""
                UPDATE patrons
                SET cardnumber = @Cardnumber, firstname = @firstname, surname = @Surname, library_id = @LibraryId,
                    secured = @secured, updated_at = @now
                WHERE patron_id = @patronId
                RETURNING {PatronDto.Columns}
                """,
                new
                {
                    request.Cardnumber, firstname = request.Firstname ?? before.Firstname, request.Surname, request.LibraryId,
                    secured = request.Secured ?? before.Secured, now, patronId,
                },
                transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now,
                before.Secured != patron.Secured ? (patron.Secured ? "patron.secure" : "patron.unsecure") : "patron.update",
                "patron", Id(patronId), new { from = before, to = patron }, cancellationToken);
            return patron;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : ApiProblems.From(outcome.Failure!);
    }

    static Validation Validate(string cardnumber, string surname, string? firstname) =>
        new Validation().Text("cardnumber", cardnumber, 32).Text("surname", surname, 100).Text("firstname", firstname, 100, required: false);

    static async Task<Failure?> CheckAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Binding binding, string libraryId, string cardnumber, long? exceptPatronId,
        CancellationToken cancellationToken)
    {
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM libraries WHERE library_id = @libraryId)", new { libraryId }, transaction,
            cancellationToken: cancellationToken)))
        {
            return Failure.Invalid("unknown_library", "library_id", $"library_id '{libraryId}' does not name a library.");
        }
        if (binding.CheckLibrary(libraryId) is { } outside)
        {
            return outside;
        }
        var holder = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT patron_id FROM patrons WHERE cardnumber = @cardnumber AND patron_id IS DISTINCT FROM @exceptPatronId",
            new { cardnumber, exceptPatronId }, transaction, cancellationToken: cancellationToken));
        return holder is null ? null : Failure.Conflict("cardnumber_taken", "Another patron has this cardnumber.");
    }

    internal static Task<PatronDto?> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, long patronId, CancellationToken cancellationToken, bool forUpdate = false) =>
        connection.QuerySingleOrDefaultAsync<PatronDto>(new CommandDefinition(
            $"SELECT {PatronDto.Columns} FROM patrons WHERE patron_id = @patronId{(forUpdate ? " FOR UPDATE" : "")}",
            new { patronId }, transaction, cancellationToken: cancellationToken));

    internal static Failure PatronNotFound(long patronId) =>
        Failure.NotFound("patron_not_found", string.Create(CultureInfo.InvariantCulture, $"There is no patron {patronId}."));

    static string Location(long patronId) => string.Create(CultureInfo.InvariantCulture, $"/api/v1/patrons/{patronId}");

    static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
