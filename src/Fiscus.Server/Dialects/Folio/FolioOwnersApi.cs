using Dapper;
using Fiscus.Ledger.Access;
using Fiscus.Server.Auth;
using Fiscus.Server.Dialects.Folio.Cql;
using Fiscus.Server.Http;
using Npgsql;

namespace Fiscus.Server.Dialects.Folio;

/// <summary>
/// mod-feesfines' fee/fine owners (<c>/owners</c>), read-only: FOLIO's payment method settings list the owners
/// to file methods under (<c>cql.allRecords=1 sortby owner</c>, limit 2000). Owners are Fiscus's
/// <c>/api/v1/fee_fine_owners</c>, managed there, because there they are given libraries; FOLIO's service points
/// and notice templates have no counterpart in Fiscus, so an owner here has its name, metadata and id only.
/// </summary>
public static class FolioOwnersApi
{
    static readonly CqlField[] Fields =
    [
        new("owner", "o.name", CqlFieldType.Text),
        new("id", "o.owner_id", CqlFieldType.Uuid),
        new("metadata.createdDate", "o.created_at", CqlFieldType.DateTime),
        new("metadata.updatedDate", "o.updated_at", CqlFieldType.DateTime),
    ];

    sealed record Row(Guid OwnerId, string Name, DateTime CreatedAt, DateTime UpdatedAt)
    {
        public const string Columns = "o.owner_id, o.name, o.created_at, o.updated_at";

        public FolioOwner ToFolio() => new(Name, new FolioMetadata(CreatedAt, null, null, UpdatedAt, null, null), OwnerId.ToString());
    }

    public static IEndpointRouteBuilder MapFolioOwners(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/owners").WithTags("FOLIO").RequireAuthorization(Scopes.ReferenceRead);
        group.MapGet("/", ListAsync).WithErrorShape(new FolioTextErrors("list owners", record: "owner"))
            .WithName("folioListOwners").WithSummary("Fee/fine owners, by CQL query, paged (mod-feesfines GET /owners; read-only)")
            .Produces<FolioOwnerCollection>();
        group.MapGet("/{ownerId}", GetAsync).WithErrorShape(new FolioTextErrors("get owner", record: "owner"))
            .WithName("folioGetOwner").WithSummary("A fee/fine owner").Produces<FolioOwner>();
        return routes;
    }

    static async Task<IResult> ListAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (!FolioListQuery.TryParse(http.Request.Query, Fields, "owner", "o.owner_id", out var list, out var refusal))
        {
            return refusal;
        }
        var parameters = list.Cql.Parameters;
        parameters.Add("offset", list.Offset);
        parameters.Add("limit", list.Limit);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT count(*) FROM fee_fine_owners o WHERE {list.Cql.Where};
            SELECT {Row.Columns} FROM fee_fine_owners o WHERE {list.Cql.Where} ORDER BY {list.Cql.OrderBy} OFFSET @offset LIMIT @limit;
            """, parameters, cancellationToken: cancellationToken));
        var total = await results.ReadSingleAsync<long>();
        var owners = (await results.ReadAsync<Row>()).Select(r => r.ToFolio()).ToList();
        return FolioJson.Json(200, new FolioOwnerCollection(owners, total));
    }

    static async Task<IResult> GetAsync(string ownerId, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(ownerId, "D", out var id))
        {
            return ErrorShapes.Result(404, "owner_not_found", "owner not found");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Row.Columns} FROM fee_fine_owners o WHERE o.owner_id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? ErrorShapes.Result(404, "owner_not_found", "owner not found") : FolioJson.Json(200, row.ToFolio());
    }
}
