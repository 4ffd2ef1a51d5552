using Fiscus.Server.Dialects.Folio;
using Fiscus.Server.Dialects.Polaris;
using Fiscus.Server.Dialects.Shifts;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace Fiscus.Server.Docs;

/// <summary>
/// The error answers an operation can give, with their stable <c>code</c> values, in the shape its route writes: native
/// problem+json (<see cref="ApiDocument.ProblemSchema"/>), or a dialect's own (FOLIO's text/plain and 422 <c>errors</c>,
/// Polaris' <c>{Message, Code}</c>, the POS shifts' <c>{message, error, data}</c>). Which statuses apply follows from what
/// the endpoint is: credentials needed (401, 403, 429 for throttled Basic), an id in the path (404), a write (409), a money
/// command (409/422 for its Idempotency-Key, 503 busy), input to read (400); 503 <c>database_unavailable</c> everywhere.
/// A response the endpoint declares itself keeps its content; it only gains the codes in its description.
/// </summary>
public static class ErrorResponses
{
    public sealed record Facts(string Method, string Path, EndpointAccess Access, bool Command, bool BasicAuth, IErrorShape? Shape)
    {
        public bool Writes => !HttpMethods.IsGet(Method) && !HttpMethods.IsHead(Method);

        public bool HasPathId => Path.Contains('{', StringComparison.Ordinal);
    }

    /// <summary>The code of a 404 for an id that names nothing, by the collection the id follows in the path.</summary>
    static readonly Dictionary<string, string> NotFoundCodes = new(StringComparer.Ordinal)
    {
        ["patrons"] = "patron_not_found",
        ["cash_registers"] = "register_not_found",
        ["libraries"] = "library_not_found",
        ["debits"] = "debit_not_found",
        ["credits"] = "credit_not_found",
        ["cashups"] = "cashup_not_found",
        ["fee_fine_owners"] = "owner_not_found",
        ["users"] = "user_not_found",
        ["clients"] = "client_not_found",
        ["sip_logins"] = "sip_login_not_found",
        ["sales"] = "sale_not_found",
        ["shifts"] = "shift_not_found",
        ["debit_types"] = "debit_type_not_found",
        ["credit_types"] = "credit_type_not_found",
        ["payment_types"] = "payment_type_not_found",
    };

    /// <summary>The line every description ends with: how errors look on this route.</summary>
    public static string Summary(IErrorShape? shape) => shape switch
    {
        FolioTextErrors => "**Errors** are FOLIO's (mod-feesfines): text/plain for 400, 401, 403, 404, 409 and 503, and a JSON " +
            "`errors` list for 422 validation failures.",
        PolarisErrors => "**Errors** are Polaris' (ASP.NET Web API): a JSON object with the human `Message` and Fiscus's stable `Code`.",
        ShiftErrors => "**Errors** are POS Kasir's envelope: `{message, error, data}` with the human message, the stable code in `error`, " +
            "and for validation failures `data.errors` by field. Amounts are integer minor units.",
        _ => "**Errors** are `application/problem+json` with a stable machine `code` (repeated as Koha's `error_code`; a 404's is Koha's `not_found`) and the human " +
            "message in `error` and `detail`; the responses below list the codes.",
    };

    public static void Add(OpenApiOperation operation, OpenApiDocument? document, Facts facts)
    {
        operation.Responses ??= [];
        var hasInput = operation.RequestBody is not null || operation.Parameters is { Count: > 0 } || facts.Writes;
        if (hasInput)
        {
            Set(operation, document, facts, 400, BadRequest(facts));
        }
        if (!facts.Access.Anonymous)
        {
            Set(operation, document, facts, 401, "`unauthorized`: no credentials, or the ones sent were refused (an invalid, expired or " +
                "revoked token, wrong Basic credentials); the message says which.", "WWW-Authenticate");
            Set(operation, document, facts, 403, Forbidden(facts));
        }
        if (facts.HasPathId)
        {
            Set(operation, document, facts, 404, NotFound(facts));
        }
        if (facts.Writes && !facts.Access.Anonymous)
        {
            Set(operation, document, facts, 409, Conflict(facts));
        }
        if (facts.Command || (facts.Shape is FolioTextErrors && facts.Writes))
        {
            Set(operation, document, facts, 422, facts.Shape is FolioTextErrors
                ? "Validation failed: FOLIO's `errors` list, one entry per field at fault (`message`, `type`, `code`, `parameters`)."
                : "`idempotency_key_reused`: this Idempotency-Key was used for a different request (method, path, query or body).");
        }
        // Declared by the sign-in endpoints themselves; on every other one, HTTP Basic credentials are a sign-in too.
        if ((!facts.Access.Anonymous && facts.BasicAuth) || operation.Responses.ContainsKey("429"))
        {
            Set(operation, document, facts, 429, "`rate_limited`: too many failed sign-ins (logins, HTTP Basic, token requests) from " +
                "this address or for this username; wait the `Retry-After` seconds.", "Retry-After");
        }
        Set(operation, document, facts, 503, Unavailable(facts), "Retry-After");
    }

    static string BadRequest(Facts facts)
    {
        var codes = new List<string> { "bad_request", "invalid_parameter", "unknown_parameter" };
        if (facts.Writes)
        {
            codes.AddRange(["missing_body", "malformed_json", "unknown_field", "missing_field", "null_field", "invalid_type", "invalid_text"]);
        }
        if (facts.Command)
        {
            codes.Add("invalid_idempotency_key");
        }
        return $"The request cannot be accepted as sent. `code`: {List(codes)}, or the name of the field or rule at fault (e.g. " +
            "`amount`, `payment_type_id`, `amount_exceeds_outstanding`). `errors` may name each field.";
    }

    static string Forbidden(Facts facts)
    {
        var text = "`forbidden`: the caller lacks a scope the request needs (the message names it); `outside_binding`: a client bound to " +
            "a register or library asked beyond it";
        if (facts.Access.PersonOnly)
        {
            text += "; `staff_only`: an API client called what only a person may do";
        }
        if (facts.Writes)
        {
            text += "; `cross_site_request`: a cookie-authenticated write sent from another site";
        }
        return text + ".";
    }

    static string NotFound(Facts facts)
    {
        var codes = facts.Path.Split('/')
            .Zip(facts.Path.Split('/').Skip(1))
            .Where(pair => pair.Second.StartsWith('{'))
            .Select(pair => NotFoundCodes.GetValueOrDefault(pair.First))
            .OfType<string>()
            .Distinct()
            .Append("not_found")
            .ToList();
        return $"Nothing has the id in the path. `code`: {List(codes)} (`not_found` when the id is not even of the right form).";
    }

    static string Conflict(Facts facts)
    {
        var text = "The request runs into the current state: a name or number already taken (e.g. `username_taken`, " +
            "`cardnumber_taken`), or a rule of the record's life (e.g. `debit_already_cancelled`, `register_archived`)";
        if (facts.Command)
        {
            text += "; `idempotency_key_in_use`: the first request with this Idempotency-Key is still running (retry shortly)";
        }
        return text + ".";
    }

    static string Unavailable(Facts facts)
    {
        var codes = new List<string> { "database_unavailable" };
        if (facts.Command || (!facts.Access.Anonymous && facts.BasicAuth))
        {
            codes.Add("busy");
        }
        var text = "Try again shortly (`Retry-After`); nothing was recorded, and a money command is safe to retry with the same " +
            "Idempotency-Key.";
        if (facts.Command)
        {
            // A write whose COMMIT the database broke off, and whose outcome Fiscus could not find out in time.
            codes.Add("outcome_unknown");
            text += " `outcome_unknown`: the database stopped answering during the commit, so the request may have been recorded: " +
                "send it again with the same Idempotency-Key (or external_id) to learn its outcome.";
        }
        else if (facts.Writes)
        {
            codes.Add("outcome_unknown");
            text += " `outcome_unknown`: the database stopped answering during the commit, so the change may have been made: look " +
                "before sending it again.";
        }
        return $"{text} `code`: {List(codes)}.";
    }

    static string List(IEnumerable<string> codes) => string.Join(", ", codes.Select(c => $"`{c}`"));

    /// <summary>The native description, or what the dialect's shape makes of the same error.</summary>
    static string InShape(IErrorShape? shape, int status, string description) => shape switch
    {
        FolioTextErrors => status switch
        {
            401 => "text/plain `unable to <action> -- unauthorized`: no credentials, or the ones sent were refused.",
            404 => "text/plain `<record> not found` (e.g. `payment not found`).",
            409 => "text/plain `version conflict`: the `If-Match` version is not the current one.",
            422 => description,
            _ => $"text/plain `unable to <action> -- <reason>`. The reason is the message of the native error: {description}",
        },
        PolarisErrors => $"{description} The code is in `Code`, the message in `Message`.",
        ShiftErrors => $"{description} The code is in `error`, the message in `message`.",
        _ => description,
    };

    static void Set(OpenApiOperation operation, OpenApiDocument? document, Facts facts, int status, string description, string? header = null)
    {
        description = InShape(facts.Shape, status, description);
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(key, out var declared) && declared is OpenApiResponse existing)
        {
            // Declared by the endpoint (its Results<...> or metadata): keep its content, add the codes, and say which
            // problem+json Fiscus writes rather than the framework's bare ProblemDetails.
            if (string.IsNullOrWhiteSpace(existing.Description) || existing.Description == ReasonPhrases.GetReasonPhrase(status))
            {
                existing.Description = description;
            }
            if (existing.Content?.TryGetValue("application/problem+json", out var problem) == true && facts.Shape is null)
            {
                problem.Schema = new OpenApiSchemaReference(ApiDocument.ProblemSchema, document);
            }
            if (header is not null)
            {
                existing.Headers ??= new Dictionary<string, IOpenApiHeader>();
                existing.Headers.TryAdd(header, HeaderOf(header));
            }
            return;
        }
        var response = new OpenApiResponse { Description = description, Content = ContentOf(facts.Shape, status, facts.Writes, document) };
        if (header is not null)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader> { [header] = HeaderOf(header) };
        }
        operation.Responses[key] = response;
    }

    static OpenApiHeader HeaderOf(string header) => new()
    {
        Description = header == "Retry-After" ? "Seconds to wait before trying again." : "`Bearer realm=\"Fiscus\"`.",
        Schema = new OpenApiSchema { Type = header == "Retry-After" ? JsonSchemaType.Integer : JsonSchemaType.String },
    };

    static Dictionary<string, OpenApiMediaType> ContentOf(IErrorShape? shape, int status, bool writes, OpenApiDocument? document)
    {
        OpenApiMediaType Json(string schema) => new() { Schema = new OpenApiSchemaReference(schema, document) };
        return shape switch
        {
            FolioTextErrors when status == 422 =>
                new() { ["application/json"] = Json(ApiDocument.FolioErrorsSchema) },
            FolioTextErrors => new() { ["text/plain"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
            PolarisErrors => new() { ["application/json"] = Json(ApiDocument.PolarisErrorSchema) },
            ShiftErrors => new() { ["application/json"] = Json(ApiDocument.ShiftErrorSchema) },
            _ => new() { ["application/problem+json"] = Json(ApiDocument.ProblemSchema) },
        };
    }
}
