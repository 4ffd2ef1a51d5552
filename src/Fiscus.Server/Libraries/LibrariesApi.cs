using Fiscus.Ledger.Audit;
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

namespace Fiscus.Server.Libraries;

public sealed record LibraryDto(string LibraryId, string Name, string TimeZone)
{
    public const string Columns = "library_id, name, time_zone";
}

public sealed record CreateLibraryRequest(string LibraryId, string Name, string? TimeZone = null);

/// <summary>PUT body; <c>library_id</c> may be echoed back but cannot change.</summary>
public sealed record UpdateLibraryRequest(string Name, string TimeZone, string? LibraryId = null);

/// <summary><c>/api/v1/libraries</c>: where money is taken, and the time zone its business day runs in.</summary>
public static class LibrariesApi
{
    public static RouteGroupBuilder MapLibraries(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/libraries").WithTags("Libraries").RequireAuthorization();
        group.MapGet("/", ListAsync).RequireAuthorization(Scopes.ReferenceRead)
            .WithName("listLibraries").WithSummary("List libraries")
            .WithKohaList(KohaLists.Libraries);
        group.MapGet("/{library_id}", GetAsync).RequireAuthorization(Scopes.ReferenceRead)
            .WithName("getLibrary").WithSummary("Get a library");
        group.MapPost("/", CreateAsync).RequireAuthorization(Scopes.LibrariesWrite)
            .WithName("addLibrary").WithSummary("Add a library");
        group.MapPut("/{library_id}", UpdateAsync).RequireAuthorization(Scopes.LibrariesWrite)
            .WithName("updateLibrary").WithSummary("Update a library's name or time zone");
        return group;
    }

    static async Task<Ok<LibraryDto[]>> ListAsync(KohaQuery query, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var (rows, _) = await query.PageAsync<LibraryDto>(db, LibraryDto.Columns, "FROM libraries", "TRUE", null, http, cancellationToken);
        return TypedResults.Ok(rows.ToArray());
    }

    static async Task<Results<Ok<LibraryDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "library_id")] string libraryId, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var library = await FindAsync(connection, null, libraryId, cancellationToken);
        return library is null ? NotFound(libraryId) : TypedResults.Ok(library);
    }

    static async Task<Results<Created<LibraryDto>, ProblemHttpResult>> CreateAsync(
        CreateLibraryRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time,
        Configuration.FiscusOptions options, CancellationToken cancellationToken)
    {
        var timeZone = request.TimeZone ?? options.DefaultTimeZone;
        var validation = new Validation().Code("library_id", request.LibraryId, 10).Text("name", request.Name, 200);
        ValidateTimeZone(validation, timeZone);
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<LibraryDto>>(db, async (connection, transaction) =>
        {
            var clash = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT library_id FROM libraries WHERE lower(library_id) = lower(@LibraryId)", request, transaction,
                cancellationToken: cancellationToken));
            if (clash is not null)
            {
                return Failure.Conflict("library_exists", $"Library '{clash}' already exists.");
            }
            var now = time.GetUtcNow();
            var library = await connection.QuerySingleAsync<LibraryDto>(new CommandDefinition($"""
                INSERT INTO libraries (library_id, name, time_zone, created_at, updated_at)
                VALUES (@LibraryId, @Name, @timeZone, @now, @now)
                RETURNING {LibraryDto.Columns}
                """, new { request.LibraryId, request.Name, timeZone, now }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "library.create", "library",
                library.LibraryId, library, cancellationToken);
            return library;
        }, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/libraries/{Uri.EscapeDataString(outcome.Value!.LibraryId)}", outcome.Value)
            : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<LibraryDto>, ProblemHttpResult>> UpdateAsync(
        [FromRoute(Name = "library_id")] string libraryId, UpdateLibraryRequest request, Caller caller, HttpContext http,
        NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        var validation = new Validation().Text("name", request.Name, 200);
        ValidateTimeZone(validation, request.TimeZone);
        if (request.LibraryId is not null && !string.Equals(request.LibraryId, libraryId, StringComparison.Ordinal))
        {
            validation.Add("library_id", "library_id cannot be changed");
        }
        if (!validation.IsValid)
        {
            return ApiProblems.From(validation.ToFailure());
        }
        var outcome = await Transactions.RunAsync<Outcome<LibraryDto>>(db, async (connection, transaction) =>
        {
            var before = await FindAsync(connection, transaction, libraryId, cancellationToken, forUpdate: true);
            if (before is null)
            {
                return LibraryNotFound(libraryId);
            }
            var now = time.GetUtcNow();
            var library = await connection.QuerySingleAsync<LibraryDto>(new CommandDefinition($"""
                UPDATE libraries SET name = @Name, time_zone = @TimeZone, updated_at = @now WHERE library_id = @libraryId
                RETURNING {LibraryDto.Columns}
                """, new { request.Name, request.TimeZone, now, libraryId }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "library.update", "library",
                libraryId, new { from = before, to = library }, cancellationToken);
            return library;
        }, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : ApiProblems.From(outcome.Failure!);
    }

    static Task<LibraryDto?> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string libraryId, CancellationToken cancellationToken,
        bool forUpdate = false) =>
        connection.QuerySingleOrDefaultAsync<LibraryDto>(new CommandDefinition(
            $"SELECT {LibraryDto.Columns} FROM libraries WHERE library_id = @libraryId{(forUpdate ? " FOR UPDATE" : "")}",
            new { libraryId }, transaction, cancellationToken: cancellationToken));

    static void ValidateTimeZone(Validation validation, string? timeZone)
    {
        if (!TimeZones.IsIana(timeZone))
        {
            validation.Add("time_zone", $"time_zone '{timeZone}' is not an IANA time zone such as Europe/London");
        }
    }

    static Failure LibraryNotFound(string libraryId) => Failure.NotFound("library_not_found", $"There is no library '{libraryId}'.");

    static ProblemHttpResult NotFound(string libraryId) => ApiProblems.From(LibraryNotFound(libraryId));
}
