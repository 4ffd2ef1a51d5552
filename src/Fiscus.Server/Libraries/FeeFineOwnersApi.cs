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

public sealed record FeeFineOwnerDto(Guid OwnerId, string Name, IReadOnlyList<string> LibraryIds, DateTime CreatedAt, DateTime UpdatedAt);

public sealed record FeeFineOwnerRequest(string Name, string[] LibraryIds, Guid? OwnerId = null, DateTime? CreatedAt = null, DateTime? UpdatedAt = null);

/// <summary>
/// <c>/api/v1/fee_fine_owners</c>: FOLIO's fee/fine owners, which file payment methods (<c>ownerId</c> at
/// <c>/payments</c>): here a library or a group of libraries. A library belongs to at most one owner. An owner
/// named by a FOLIO client that Fiscus did not know is recorded with no libraries, for a manager to assign.
/// </summary>
public static class FeeFineOwnersApi
{
    const string Columns = """
        o.owner_id, o.name, COALESCE(string_agg(l.library_id, ',' ORDER BY l.library_id), '') AS library_ids, o.created_at, o.updated_at
        """;

    /// <summary>Library ids come joined by commas (codes never contain one).</summary>
    sealed record Row(Guid OwnerId, string Name, string LibraryIds, DateTime CreatedAt, DateTime UpdatedAt)
    {
        public FeeFineOwnerDto ToDto() => new(OwnerId, Name, LibraryIds.Split(',', StringSplitOptions.RemoveEmptyEntries), CreatedAt, UpdatedAt);
    }

    public static RouteGroupBuilder MapFeeFineOwners(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/fee_fine_owners").WithTags("Fee/fine owners").RequireAuthorization();
        group.MapGet("/", ListAsync).RequireAuthorization(Scopes.ReferenceRead)
            .WithName("listFeeFineOwners").WithSummary("Fee/fine owners (FOLIO's), with their libraries").WithKohaList(KohaList.PagingOnly);
        group.MapGet("/{owner_id:guid}", GetAsync).RequireAuthorization(Scopes.ReferenceRead)
            .WithName("getFeeFineOwner").WithSummary("A fee/fine owner");
        group.MapPost("/", CreateAsync).RequireAuthorization(Scopes.ReferenceWrite)
            .WithName("addFeeFineOwner").WithSummary("Add a fee/fine owner: a name and its libraries (owner_id optional)");
        group.MapPut("/{owner_id:guid}", UpdateAsync).RequireAuthorization(Scopes.ReferenceWrite)
            .WithName("updateFeeFineOwner").WithSummary("Rename an owner or change its libraries");
        return group;
    }

    static async Task<Ok<FeeFineOwnerDto[]>> ListAsync(Paging paging, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        const string select = """
            o.owner_id, o.name,
            COALESCE((SELECT string_agg(l.library_id, ',' ORDER BY l.library_id) FROM libraries l WHERE l.owner_id = o.owner_id), '') AS library_ids,
            o.created_at, o.updated_at
            """;
        var (rows, total) = await PagedQuery.RunAsync<Row>(db, select, "FROM fee_fine_owners o", "o.name, o.owner_id", null, paging, cancellationToken);
        paging.WriteHeaders(http, total);
        return TypedResults.Ok(rows.Select(r => r.ToDto()).ToArray());
    }

    static async Task<Results<Ok<FeeFineOwnerDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "owner_id")] Guid ownerId, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await FindAsync(connection, null, ownerId, cancellationToken);
        return row is null ? ApiProblems.NotFound("owner_not_found", $"There is no fee/fine owner {ownerId}.") : TypedResults.Ok(row.ToDto());
    }

    static async Task<IResult> CreateAsync(
        FeeFineOwnerRequest request, Caller caller, HttpContext http, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Check(request) is { } invalid)
        {
            return ApiProblems.From(invalid);
        }
        var ownerId = request.OwnerId ?? Guid.NewGuid();
        var outcome = await Transactions.RunAsync<Outcome<Row>>(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var inserted = await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO fee_fine_owners (owner_id, name, created_at, updated_at) VALUES (@ownerId, @Name, @now, @now) ON CONFLICT (owner_id) DO NOTHING
                """, new { ownerId, request.Name, now }, transaction, cancellationToken: cancellationToken));
            if (inserted == 0)
            {
                return Failure.Conflict("owner_exists", $"There is already a fee/fine owner {ownerId}.");
            }
            return await AssignAsync(connection, transaction, ownerId, request, caller, http, now, "fee_fine_owner.create", cancellationToken);
        }, o => o.Succeeded, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/fee_fine_owners/{ownerId}", outcome.Value!.ToDto())
            : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<FeeFineOwnerDto>, ProblemHttpResult>> UpdateAsync(
        [FromRoute(Name = "owner_id")] Guid ownerId, FeeFineOwnerRequest request, Caller caller, HttpContext http, NpgsqlDataSource db,
        TimeProvider time, CancellationToken cancellationToken)
    {
        if (Check(request) is { } invalid)
        {
            return ApiProblems.From(invalid);
        }
        if (request.OwnerId is { } echoed && echoed != ownerId)
        {
            return ApiProblems.From(Failure.Invalid("owner_id", "owner_id cannot change"));
        }
        var outcome = await Transactions.RunAsync<Outcome<Row>>(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var updated = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE fee_fine_owners SET name = @Name, updated_at = @now WHERE owner_id = @ownerId", new { request.Name, now, ownerId }, transaction,
                cancellationToken: cancellationToken));
            if (updated == 0)
            {
                return Failure.NotFound("owner_not_found", $"There is no fee/fine owner {ownerId}.");
            }
            return await AssignAsync(connection, transaction, ownerId, request, caller, http, now, "fee_fine_owner.update", cancellationToken);
        }, o => o.Succeeded, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!.ToDto()) : ApiProblems.From(outcome.Failure!);
    }

    /// <summary>The owner gets exactly these libraries; a library of another owner must be taken from it first (409).</summary>
    static async Task<Outcome<Row>> AssignAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid ownerId, FeeFineOwnerRequest request, Caller caller, HttpContext http,
        DateTimeOffset now, string action, CancellationToken cancellationToken)
    {
        var libraries = request.LibraryIds.Distinct(StringComparer.Ordinal).ToArray();
        var found = (await connection.QueryAsync<(string LibraryId, Guid? OwnerId)>(new CommandDefinition(
            "SELECT library_id, owner_id FROM libraries WHERE library_id = ANY(@libraries) FOR UPDATE", new { libraries }, transaction,
            cancellationToken: cancellationToken))).ToList();
        if (libraries.Except(found.Select(f => f.LibraryId), StringComparer.Ordinal).FirstOrDefault() is { } unknown)
        {
            return Failure.Invalid("unknown_library", "library_ids", $"There is no library '{unknown}'.");
        }
        if (found.FirstOrDefault(f => f.OwnerId is { } other && other != ownerId) is { LibraryId: { } taken })
        {
            return Failure.Conflict("library_has_owner", $"Library '{taken}' belongs to another fee/fine owner; take it from that owner first.");
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE libraries SET owner_id = NULL WHERE owner_id = @ownerId AND NOT (library_id = ANY(@libraries));
            UPDATE libraries SET owner_id = @ownerId WHERE library_id = ANY(@libraries);
            """, new { ownerId, libraries }, transaction, cancellationToken: cancellationToken));
        var row = (await FindAsync(connection, transaction, ownerId, cancellationToken))!;
        await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, action, "fee_fine_owner", ownerId.ToString(),
            row.ToDto(), cancellationToken);
        return row;
    }

    static Failure? Check(FeeFineOwnerRequest request)
    {
        var validation = new Validation().Text("name", request.Name, 200);
        foreach (var (library, i) in request.LibraryIds.Select((l, i) => (l, i)))
        {
            validation.Code($"library_ids[{i}]", library, 10);
        }
        return validation.IsValid ? null : validation.ToFailure();
    }

    static Task<Row?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid ownerId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM fee_fine_owners o LEFT JOIN libraries l ON l.owner_id = o.owner_id WHERE o.owner_id = @ownerId GROUP BY o.owner_id",
            new { ownerId }, transaction, cancellationToken: cancellationToken));
}
