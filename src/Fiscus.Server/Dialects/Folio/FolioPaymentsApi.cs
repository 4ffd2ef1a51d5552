using Fiscus.Ledger.Audit;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Dialects.Folio.Cql;
using Fiscus.Server.Http;
using Npgsql;

namespace Fiscus.Server.Dialects.Folio;

/// <summary>
/// mod-feesfines' payment methods (<c>/payments</c>), so FOLIO clients work unchanged against Fiscus. A payment
/// method is a Fiscus payment type: one made here can be paid with at once and shows in
/// <c>/api/v1/payment_types</c>, and the reverse. Better than the original: names are unique per owner ignoring
/// case and accents (422), each record's version is its <c>ETag</c> and a stale <c>If-Match</c> is a 409, and a
/// method the ledger has used cannot be deleted (400).
/// </summary>
public static partial class FolioPaymentsApi
{
    const string Interface = "folio";

    static readonly CqlField[] Fields =
    [
        new("nameMethod", "pt.description", CqlFieldType.Text),
        new("allowedRefundMethod", "pt.allowed_refund", CqlFieldType.Boolean),
        new("ownerId", "pt.owner_id", CqlFieldType.Uuid),
        new("id", "pt.payment_type_uuid", CqlFieldType.Uuid),
        new("metadata.createdDate", "pt.created_at", CqlFieldType.DateTime),
        new("metadata.updatedDate", "pt.updated_at", CqlFieldType.DateTime),
        new("metadata.createdByUserId", "pt.created_by_uuid", CqlFieldType.Uuid),
        new("metadata.updatedByUserId", "pt.updated_by_uuid", CqlFieldType.Uuid),
        new("metadata.createdByUsername", "pt.created_by_name", CqlFieldType.Text),
        new("metadata.updatedByUsername", "pt.updated_by_name", CqlFieldType.Text),
    ];

    sealed record Row(
        string Code, Guid PaymentTypeUuid, string Description, bool AllowedRefund, Guid? OwnerId, DateTime CreatedAt, Guid? CreatedByUuid,
        string? CreatedByName, DateTime UpdatedAt, Guid? UpdatedByUuid, string? UpdatedByName, int Version, bool IsSystem)
    {
        public const string Columns = """
            pt.code, pt.payment_type_uuid, pt.description, pt.allowed_refund, pt.owner_id, pt.created_at, pt.created_by_uuid, pt.created_by_name,
            pt.updated_at, pt.updated_by_uuid, pt.updated_by_name, pt.version, pt.is_system
            """;

        public string ETag => string.Create(CultureInfo.InvariantCulture, $"\"{Version}\"");

        public FolioPayment ToFolio() => new(Description, AllowedRefund,
            new FolioMetadata(CreatedAt, CreatedByUuid?.ToString(), CreatedByName,
                UpdatedAt, UpdatedByUuid?.ToString(), UpdatedByName),
            OwnerId?.ToString(), PaymentTypeUuid.ToString());
    }

    public static IEndpointRouteBuilder MapFolioPayments(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/payments").WithTags("FOLIO").RequireAuthorization();
        group.MapGet("/", ListAsync).RequireAuthorization(Scopes.ReferenceRead).WithErrorShape(new FolioTextErrors("list payments"))
            .WithName("folioListPayments").WithSummary("Payment methods, by CQL query, paged (mod-feesfines GET /payments)")
            .Produces<FolioPaymentCollection>();
        group.MapPost("/", CreateAsync).RequireAuthorization(Scopes.AddPaymentType).WithErrorShape(new FolioTextErrors("add payment", "create payments"))
            .WithName("folioCreatePayment").WithSummary("Add a payment method (a Fiscus payment type)").Produces<FolioPayment>(201);
        group.MapGet("/{paymentId}", GetAsync).RequireAuthorization(Scopes.ReferenceRead).WithErrorShape(new FolioTextErrors("get payment"))
            .WithName("folioGetPayment").WithSummary("A payment method; its version is the ETag").Produces<FolioPayment>();
        group.MapPut("/{paymentId}", UpdateAsync).RequireAuthorization(Scopes.ReferenceWrite).WithErrorShape(new FolioTextErrors("update payment"))
            .WithName("folioUpdatePayment").WithSummary("Replace a payment method (If-Match: its ETag, else 409)");
        group.MapDelete("/{paymentId}", DeleteAsync).RequireAuthorization(Scopes.ReferenceWrite).WithErrorShape(new FolioTextErrors("delete payment"))
            .WithName("folioDeletePayment").WithSummary("Delete a payment method the ledger has never used");
        return routes;
    }

    static async Task<IResult> ListAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        if (!FolioListQuery.TryParse(query, Fields, "nameMethod", "pt.payment_type_uuid", out var list, out var refusal))
        {
            return refusal;
        }
        var (cql, offset, limit) = (list.Cql, list.Offset, list.Limit);
        var facets = new List<(string Field, string Column, int Count)>();
        foreach (var facet in query["facets"].SelectMany(f => (f ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var (name, count) = facet.Split(':') is [var n, var c] ? (n, c) : (facet, "5");
            var field = Fields.FirstOrDefault(f => f.Index == name && f.Type is CqlFieldType.Text or CqlFieldType.Uuid or CqlFieldType.Boolean);
            if (field is null || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var top) || top is < 1 or > 1000)
            {
                return ErrorShapes.Result(400, "malformed_parameter", $"malformed parameter 'facets', '{facet}' is not a facet (index[:count])");
            }
            facets.Add((name, field.Column, top));
        }

        // An archived type takes no new money: FOLIO clients, which know no archiving, do not offer it.
        var where = $"NOT pt.archived AND ({cql.Where})";
        var parameters = cql.Parameters;
        parameters.Add("offset", offset);
        parameters.Add("limit", limit);
        var sql = new StringBuilder($"""
            SELECT count(*) FROM payment_types pt WHERE {where};
            SELECT {Row.Columns} FROM payment_types pt WHERE {where} ORDER BY {cql.OrderBy} OFFSET @offset LIMIT @limit;
            """);
        foreach (var (_, column, top) in facets)
        {
            sql.Append(CultureInfo.InvariantCulture, $"""
                SELECT {column}::text AS value, count(*) AS count FROM payment_types pt WHERE {where} AND {column} IS NOT NULL
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {top};
                """);
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken));
        var total = await results.ReadSingleAsync<long>();
        var rows = (await results.ReadAsync<Row>()).Select(r => r.ToFolio()).ToList();
        var facetResults = new List<FolioFacet>();
        foreach (var (field, _, _) in facets)
        {
            facetResults.Add(new FolioFacet(field, (await results.ReadAsync<(string Value, long Count)>()).Select(v => new FolioFacetValue(v.Count, v.Value)).ToList()));
        }
        return FolioJson.Json(200, new FolioPaymentCollection(rows, total, new FolioResultInfo(total, false, facetResults, [])));
    }

    static async Task<IResult> GetAsync(string paymentId, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (!TryId(paymentId, out var id))
        {
            return NotFound();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await FindAsync(connection, null, id, false, cancellationToken);
        if (row is null)
        {
            return NotFound();
        }
        http.Response.Headers.ETag = row.ETag;
        return FolioJson.Json(200, row.ToFolio());
    }

    static async Task<IResult> CreateAsync(HttpContext http, Caller caller, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        var (input, refused) = await InputAsync(http, null, cancellationToken);
        if (input is null)
        {
            return refused!;
        }
        var id = input.Id ?? Guid.NewGuid();
        var result = await Transactions.RunAsync<IResult>(db, async (connection, transaction) =>
        {
            if (await FindAsync(connection, transaction, id, false, cancellationToken) is not null)
            {
                return DuplicateId(id);
            }
            await EnsureOwnerAsync(connection, transaction, input.OwnerId, AuditActors.From(caller, http), time.GetUtcNow(), cancellationToken);
            if (await NameTakenAsync(connection, transaction, input, null, cancellationToken) is { } taken)
            {
                return taken;
            }
            var now = time.GetUtcNow();
            Row? row = null;
            // Codes are made from names, so two owners' "Gift card" created at once both want GIFT_CARD: the loser of
            // that race takes the next free code rather than failing.
            for (var attempt = 0; row is null; attempt++)
            {
                var code = await FreeCodeAsync(connection, transaction, input.NameMethod!, cancellationToken);
                try
                {
                    row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"""
                        INSERT INTO payment_types AS pt (code, payment_type_uuid, description, counts_as_cash, allowed_refund, owner_id, created_at,
                                                         updated_at, created_by_uuid, created_by_name, updated_by_uuid, updated_by_name)
                        VALUES (@code, @id, @NameMethod, false, @allowedRefund, @OwnerId, @now, @now, @Uuid, @Name, @Uuid, @Name)
                        ON CONFLICT (code) DO NOTHING
                        RETURNING {Row.Columns}
                        """, new { code, id, input.NameMethod, allowedRefund = input.AllowedRefundMethod ?? true, input.OwnerId, now, caller.Uuid, caller.Name },
                        transaction, cancellationToken: cancellationToken));
                }
                catch (PostgresException e) when (Clash(e, input, id) is { } clash)
                {
                    return clash; // the same name or id, created by a request that raced past the checks above
                }
                if (row is null && attempt == 20)
                {
                    throw new RetryLaterException("Too many payment methods are being created with this name at once; send the request again.");
                }
            }
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "payment_type.create", "payment_type", row.Code,
                new { via = Interface, row.Description, row.PaymentTypeUuid, row.OwnerId }, cancellationToken);
            http.Response.Headers.ETag = row.ETag;
            http.Response.Headers.Location = $"/payments/{row.PaymentTypeUuid}";
            return FolioJson.Json(201, row.ToFolio());
        }, Succeeded, cancellationToken);
        return result;
    }

    static async Task<IResult> UpdateAsync(string paymentId, HttpContext http, Caller caller, NpgsqlDataSource db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!TryId(paymentId, out var id))
        {
            return NotFound();
        }
        var (input, refused) = await InputAsync(http, id, cancellationToken);
        if (input is null)
        {
            return refused!;
        }
        return await Transactions.RunAsync<IResult>(db, async (connection, transaction) =>
        {
            var (before, refused) = await LockCurrentAsync(connection, transaction, http, id, forDelete: false, cancellationToken);
            if (before is null)
            {
                return refused!;
            }
            await EnsureOwnerAsync(connection, transaction, input.OwnerId, AuditActors.From(caller, http), time.GetUtcNow(), cancellationToken);
            if (await NameTakenAsync(connection, transaction, input, id, cancellationToken) is { } taken)
            {
                return taken;
            }
            var now = time.GetUtcNow();
            // A PUT replaces the record: what it leaves out is reset (an absent ownerId means no owner).
            Row row;
            try
            {
                row = await connection.QuerySingleAsync<Row>(new CommandDefinition($"""
                    UPDATE payment_types AS pt SET description = @NameMethod, allowed_refund = @allowedRefund, owner_id = @OwnerId, updated_at = @now,
                                                   updated_by_uuid = @Uuid, updated_by_name = @Name
                    WHERE payment_type_uuid = @id
                    RETURNING {Row.Columns}
                    """, new { input.NameMethod, allowedRefund = input.AllowedRefundMethod ?? true, input.OwnerId, now, caller.Uuid, caller.Name, id },
                    transaction, cancellationToken: cancellationToken));
            }
            catch (PostgresException e) when (Clash(e, input, id) is { } clash)
            {
                return clash;
            }
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), now, "payment_type.update", "payment_type", row.Code,
                new { via = Interface, from = before.ToFolio(), to = row.ToFolio() }, cancellationToken);
            http.Response.Headers.ETag = row.ETag;
            return Results.NoContent();
        }, Succeeded, cancellationToken);
    }

    static async Task<IResult> DeleteAsync(string paymentId, HttpContext http, Caller caller, NpgsqlDataSource db, TimeProvider time,
        FiscusOptions options, CancellationToken cancellationToken)
    {
        if (!TryId(paymentId, out var id))
        {
            return NotFound();
        }
        return await Transactions.RunAsync<IResult>(db, async (connection, transaction) =>
        {
            var (before, refused) = await LockCurrentAsync(connection, transaction, http, id, forDelete: true, cancellationToken);
            if (before is null)
            {
                return refused!;
            }
            if (before.IsSystem)
            {
                return ErrorShapes.Result(400, "system_type", $"'{before.Description}' is a system payment method");
            }
            // The ledger keeps how every payment was made: a method it has used stays (archive it instead).
            var used = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
                SELECT EXISTS (SELECT 1 FROM account_lines WHERE payment_type = @Code)
                    OR EXISTS (SELECT 1 FROM cashup_reconciliations WHERE payment_type = @Code)
                """, new { before.Code }, transaction, cancellationToken: cancellationToken));
            if (used)
            {
                return ErrorShapes.Result(400, "constraint_violation", "constraint violation");
            }
            // Configuration names it: the Polaris dialect pays with it.
            if (options.PolarisPaymentMethods.Values.Contains(before.Code, StringComparer.Ordinal))
            {
                return ErrorShapes.Result(400, "constraint_violation",
                    $"constraint violation: FISCUS_POLARIS_PAYMENT_METHODS pays with '{before.Code}'");
            }
            try
            {
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM payment_types WHERE code = @Code", new { before.Code }, transaction,
                    cancellationToken: cancellationToken));
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                return ErrorShapes.Result(400, "constraint_violation", "constraint violation");
            }
            await AuditLog.WriteAsync(connection, transaction, AuditActors.From(caller, http), time.GetUtcNow(), "payment_type.delete", "payment_type",
                before.Code, new { via = Interface, deleted = before.ToFolio() }, cancellationToken);
            return Results.NoContent();
        }, Succeeded, cancellationToken);
    }

    /// <summary>The body, read and validated: 400 text if it is not JSON, 422 errors if it breaks the schema (or names another id).</summary>
    static async Task<(FolioPaymentBody.Input? Input, IResult? Refusal)> InputAsync(HttpContext http, Guid? pathId, CancellationToken cancellationToken)
    {
        var (document, malformed) = await FolioPaymentBody.ReadAsync(http.Request, cancellationToken);
        if (document is null)
        {
            return (null, ErrorShapes.Result(400, "malformed_json", malformed!));
        }
        using var body = document;
        var errors = new List<FolioError>();
        var input = FolioPaymentBody.Validate(body.RootElement, errors);
        if (pathId is { } id && input.Id is { } bodyId && bodyId != id)
        {
            errors.Add(FolioError.Invalid("id", "must be the id in the path", bodyId.ToString()));
        }
        return errors.Count > 0 ? (null, new FolioErrors(errors).ToResult()) : (input, null);
    }

    /// <summary>The record locked for a change: 404 if there is none, 409 if the client's <c>If-Match</c> is not its version.</summary>
    /// <remarks>
    /// A change takes FOR NO KEY UPDATE, which payments' key share locks on the type do not block (nor it them), so
    /// a rename or archive goes through while tills keep selling; only a delete needs the row to itself.
    /// </remarks>
    static async Task<(Row? Row, IResult? Refusal)> LockCurrentAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, HttpContext http, Guid id, bool forDelete, CancellationToken cancellationToken)
    {
        var row = await FindAsync(connection, transaction, id, true, cancellationToken, forDelete);
        return row is null ? (null, NotFound())
            : Stale(http, row) ? (null, ErrorShapes.Result(409, "version_conflict", "version conflict"))
            : (row, null);
    }

    static Task<Row?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, bool forUpdate, CancellationToken cancellationToken,
        bool forDelete = false) =>
        connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Row.Columns} FROM payment_types pt WHERE pt.payment_type_uuid = @id{(forUpdate ? (forDelete ? " FOR UPDATE" : " FOR NO KEY UPDATE") : "")}", new { id }, transaction,
            cancellationToken: cancellationToken));

    /// <summary>
    /// An owner Fiscus has not heard of (FOLIO keeps no reference from a payment method to its owner) is recorded,
    /// so the method can be filed under it; an administrator then assigns its libraries.
    /// </summary>
    static async Task EnsureOwnerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid? ownerId, AuditActor actor,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (ownerId is not { } owner)
        {
            return;
        }
        // The name is only a placeholder; should owners already be called that, the first free number is taken (one of
        // 1..count+1 always is). A concurrent request may take the same one: then look again.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var (exists, recorded) = await connection.QuerySingleAsync<(bool, string?)>(new CommandDefinition("""
                WITH recorded AS (
                INSERT INTO fee_fine_owners (owner_id, name, created_at, updated_at)
                SELECT @owner, c.name, @now, @now
                FROM generate_series(1, (SELECT count(*) + 1 FROM fee_fine_owners)) n,
                     LATERAL (SELECT 'FOLIO owner ' || @owner::text || CASE WHEN n = 1 THEN '' ELSE ' (' || n || ')' END AS name) c
                WHERE NOT EXISTS (SELECT 1 FROM fee_fine_owners o WHERE fiscus_fold(o.name) = fiscus_fold(c.name))
                  AND NOT EXISTS (SELECT 1 FROM fee_fine_owners o WHERE o.owner_id = @owner)
                ORDER BY n LIMIT 1
                ON CONFLICT DO NOTHING
                RETURNING name)
                SELECT EXISTS (SELECT 1 FROM recorded) OR EXISTS (SELECT 1 FROM fee_fine_owners WHERE owner_id = @owner), (SELECT name FROM recorded);
                """, new { owner, now }, transaction, cancellationToken: cancellationToken));
            if (recorded is not null)
            {
                await AuditLog.WriteAsync(connection, transaction, actor, now, "fee_fine_owner.create", "fee_fine_owner", owner.ToString(),
                    new { via = Interface, name = recorded, library_ids = Array.Empty<string>() }, cancellationToken);
            }
            if (exists)
            {
                return;
            }
        }
        throw new RetryLaterException($"Fee/fine owner {owner} is being recorded by other requests at this moment.");
    }

    /// <summary>Unique per owner, ignoring case and accents (what FOLIO's UI checks, here checked by the server and an index).</summary>
    static async Task<IResult?> NameTakenAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, FolioPaymentBody.Input input, Guid? self, CancellationToken cancellationToken)
    {
        var clash = await connection.QuerySingleOrDefaultAsync<(string Code, string Description, bool Archived)?>(new CommandDefinition("""
            SELECT code, description, archived FROM payment_types
            WHERE owner_id IS NOT DISTINCT FROM @OwnerId AND fiscus_fold(description) = fiscus_fold(@NameMethod)
              AND payment_type_uuid IS DISTINCT FROM @self
            """, new { input.OwnerId, input.NameMethod, self }, transaction, cancellationToken: cancellationToken));
        if (clash is not { } taken)
        {
            return null;
        }
        // An archived type is not listed here, but keeps its name (the ledger's history is written in it).
        var archived = taken.Archived ? $" (archived; unarchive it at /api/v1/payment_types/{taken.Code}/unarchive)" : "";
        return new FolioErrors([FolioError.Invalid("nameMethod",
            $"nameMethod already exists{(input.OwnerId is null ? "" : " for this owner")}: '{taken.Description}'{archived}", input.NameMethod!,
            "fiscus.duplicated")]).ToResult();
    }

    /// <summary>The database's word on a name or id that a concurrent request took first: FOLIO's 422.</summary>
    static IResult? Clash(PostgresException e, FolioPaymentBody.Input input, Guid id) =>
        e.SqlState != PostgresErrorCodes.UniqueViolation ? null
        : e.ConstraintName == "payment_types_owner_name_key"
            ? new FolioErrors([FolioError.Invalid("nameMethod", $"nameMethod already exists{(input.OwnerId is null ? "" : " for this owner")}",
                input.NameMethod!, "fiscus.duplicated")]).ToResult()
        : e.ConstraintName == "payment_types_payment_type_uuid_key" ? DuplicateId(id)
        : null;

    /// <summary>
    /// mod-feesfines answers a POST whose id is taken with 400 <c>text/plain</c> and RMB's message 10003, "Unable to process
    /// request"; the same words here, then which id and what to do instead.
    /// </summary>
    static IResult DuplicateId(Guid id) =>
        FolioJson.Text(400, $"Unable to process request -- a payment method with id {id} already exists (PUT /payments/{id} changes it)");

    /// <summary>Commit only what was answered with success: a refusal leaves nothing written.</summary>
    static bool Succeeded(IResult result) => result is IStatusCodeHttpResult { StatusCode: < 400 };

    /// <summary>A Fiscus code for a new method, from its name: <c>Credit card</c> → <c>CREDIT_CARD</c> (then <c>_2</c>, <c>_3</c> ...).</summary>
    static async Task<string> FreeCodeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, CancellationToken cancellationToken)
    {
        var stem = NonCode().Replace(name.ToUpperInvariant(), "_").Trim('_');
        stem = stem.Length == 0 ? "METHOD" : stem[..Math.Min(stem.Length, 60)];
        var taken = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT code FROM payment_types WHERE upper(code) = @stem OR upper(code) LIKE @prefix", new { stem, prefix = stem.Replace("_", "\\_") + "\\_%" },
            transaction, cancellationToken: cancellationToken))).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!taken.Contains(stem))
        {
            return stem;
        }
        for (var n = 2; ; n++)
        {
            var candidate = string.Create(CultureInfo.InvariantCulture, $"{stem}_{n}");
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>A stale <c>If-Match</c> (another change came first). No <c>If-Match</c>: FOLIO's clients do not send one.</summary>
    static bool Stale(HttpContext http, Row current)
    {
        var match = http.Request.Headers.IfMatch.ToString();
        if (match.Length == 0 || match.Trim() == "*")
        {
            return false;
        }
        return !match.Split(',').Select(m => m.Trim()).Select(m => m.StartsWith("W/", StringComparison.Ordinal) ? m[2..] : m)
            .Contains(current.ETag, StringComparer.Ordinal);
    }

    static bool TryId(string text, out Guid id) => Guid.TryParseExact(text, "D", out id);

    static IResult NotFound() => ErrorShapes.Result(404, "payment_not_found", "payment not found");

    [GeneratedRegex("[^A-Z0-9]+")]
    private static partial Regex NonCode();
}
