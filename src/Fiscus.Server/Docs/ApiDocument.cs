using Fiscus.Ledger.Access;
using Fiscus.Server.Configuration;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Fiscus.Server.Docs;

/// <summary>
/// The OpenAPI document as a whole: what Fiscus is and how to start, the ways to authenticate (so the docs page has an
/// Authorize button), the error bodies every operation refers to, and what each tag groups.
/// </summary>
public sealed class ApiDocument(FiscusOptions options) : IOpenApiDocumentTransformer
{
    public const string Bearer = "bearer";
    public const string Cookie = "cookie";
    public const string Basic = "basic";
    public const string OAuth2 = "oauth2";

    public const string TokenPath = "/api/v1/oauth/token";

    public const string ProblemSchema = "Problem";
    public const string FolioErrorsSchema = "FolioValidationErrors";
    public const string PolarisErrorSchema = "PolarisError";
    public const string ShiftErrorSchema = "ShiftError";

    /// <summary>What each tag groups; a tag an endpoint uses without an entry here fails a test.</summary>
    public static readonly IReadOnlyDictionary<string, string> TagDescriptions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Installation"] = "The installation's currency and the notes and coins cash is counted in.",
        ["Authentication"] = "Signing in: staff login (token and cookie), API clients' OAuth2 client credentials, who am I, the scopes.",
        ["Libraries"] = "Libraries (Koha's branches): each has a business-day time zone for reports.",
        ["Fee/fine owners"] = "FOLIO's fee/fine owners: the libraries whose charges an owner collects.",
        ["Cash registers"] = "Cash registers (Koha's cash_registers): drawers that take money, each in one library.",
        ["Debit types"] = "What a patron can be charged for (Koha's debit types), and what the counter can sell.",
        ["Credit types"] = "Kinds of credit on a patron account (payment, write-off, refund...).",
        ["Payment types"] = "Tenders money is taken in (cash, card...); whether it counts as cash in a drawer.",
        ["Patrons"] = "Patrons whose accounts hold debts and payments, and their PINs for self-service kiosks.",
        ["Patron accounts"] = "Koha's patron account: debits, credits, payments, voids, write-offs, refunds, offsets; and atomic " +
            "charge-and-pay intake for external payment providers.",
        ["Point of sale"] = "Counter sales with no patron, their receipts and refunds, journaled to a register.",
        ["Cash-ups"] = "A register's live session and its cash-ups: count the drawer, reconcile, close (Koha's cashups).",
        ["Reports"] = "Z-report, cash-drawer reconciliation, shifts and income by day (JSON or CSV), by the library's business day.",
        ["Cashier shifts"] = "POS Kasir-style cashier shifts: start with a float, cash in and out, end with a count. Amounts are " +
            "integer minor units; errors are `{message, error, data}`.",
        ["Polaris"] = "Polaris' patron account transactions and fines-and-fees payment (PascalCase, Polaris' error shape).",
        ["FOLIO"] = "mod-feesfines' payment methods (`/payments`) and owners (`/owners`): camelCase, CQL queries, FOLIO's error shapes. " +
            "FOLIO clients may send their token as `X-Okapi-Token`.",
        ["Users"] = "Staff users and their roles (staff only).",
        ["API clients"] = "API clients (integrations, kiosks): scopes, bindings to a register or library, secrets (staff only).",
        ["SIP logins"] = "SIP2 kiosk logins: the register and rules a self-service machine pays through.",
        ["Audit"] = "The audit log: who did what and when.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Fiscus";
        document.Info.Version = "v1";
        document.Info.Description = Description(options);
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = Schemes(options);
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();
        document.Components.Schemas[FolioErrorsSchema] = FolioErrors();
        document.Components.Schemas[PolarisErrorSchema] = Object("Polaris' error (ASP.NET Web API's HttpError), with Fiscus's code beside it.",
            ["Message", "Code"], ("Message", Text("What went wrong.")), ("Code", Text("Fiscus's stable machine code.")));
        document.Components.Schemas[ShiftErrorSchema] = Object("POS Kasir's error envelope.", ["message", "error"],
            ("message", Text("What went wrong.")),
            ("error", Text("Fiscus's stable machine code.")),
            ("data", Object("For validation failures: the fields at fault.", [], ("errors", new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = Text("The field's message."),
            }))));
        foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
        {
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
            {
                tag.Description = description;
            }
        }
        return Task.CompletedTask;
    }

    static string Description(FiscusOptions options) =>
        $"""
        Payments ledger and point-of-sale cash service for libraries. The native API speaks Koha's dialect (snake_case, amounts as
        JSON numbers in major units, e.g. `10.50` {options.Currency.Code}); FOLIO, Polaris and POS cashier shifts have their own routes in their own shapes.

        **Getting in.** A staff member signs in with `POST /api/v1/auth/login` (username and password) and gets a bearer token and
        the `access_token` cookie{(options.BasicAuth ? ", or sends HTTP Basic credentials on each request" : "")}. An integration is an
        API client (created by an admin in the staff app or with `fiscus client add`): it exchanges its client id and secret for a
        bearer token at `POST {TokenPath}` (OAuth2 client credentials, by form fields or HTTP Basic) and sends
        `Authorization: Bearer <token>`. Each operation says which scope it needs; use **Authorize** above to try them.

        **Errors** are `application/problem+json` with a stable machine `code` (also as Koha's `error_code`, which on a 404 is Koha's `not_found`) and the message in
        `error`; dialect routes answer in their own shapes. Money commands accept an `Idempotency-Key` header: retrying with the
        same key never records twice.
        """;

    static Dictionary<string, IOpenApiSecurityScheme> Schemes(FiscusOptions options)
    {
        var schemes = new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal)
        {
            [Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A token from `POST /api/v1/auth/login` (a staff member; the role's scopes) or from " +
                    $"`POST {TokenPath}` (an API client; its granted scopes). FOLIO clients may send it as `X-Okapi-Token`.",
            },
            [Cookie] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Cookie,
                Name = Auth.FiscusAuthentication.CookieName,
                Description = "The staff app's session: set (HttpOnly, SameSite=Strict) by `POST /api/v1/auth/login`. A write " +
                    "authenticated by it must come from Fiscus's own origin (403 `cross_site_request` otherwise).",
            },
            [OAuth2] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = "OAuth2 client credentials for API clients: send `grant_type=client_credentials` with `client_id` and " +
                    "`client_secret` as form fields, or the id and secret by HTTP Basic (RFC 6749 §2.3.1). The token lasts " +
                    $"{options.ClientTokenSeconds} seconds.",
                Flows = new OpenApiOAuthFlows
                {
                    ClientCredentials = new OpenApiOAuthFlow
                    {
                        TokenUrl = new Uri(TokenPath, UriKind.Relative),
                        Scopes = Scopes.Catalogue.Where(c => !Scopes.StaffOnly.Contains(c.Scope))
                            .ToDictionary(c => c.Scope, c => c.Allows, StringComparer.Ordinal),
                    },
                },
            },
        };
        if (options.BasicAuth)
        {
            schemes[Basic] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "basic",
                Description = "A staff member's username and password on every request (Koha's RESTBasicAuth); throttled like " +
                    "logins. Switched off with `FISCUS_BASIC_AUTH=false`.",
            };
        }
        return schemes;
    }

    static OpenApiSchema Problem() => Object(
        "A native error (RFC 9457 problem details): `code` is stable and meant for programs, `error` for people.",
        ["status", "code", "error"],
        ("type", Text("A URI for the kind of problem (RFC 9110's section for the status).")),
        ("title", Text("The status' reason phrase.")),
        ("status", new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The HTTP status." }),
        ("detail", Text("The human message (the same as `error`).")),
        ("code", Text("Stable machine code, e.g. `patron_not_found`, `amount_exceeds_outstanding`, `idempotency_key_reused`.")),
        ("error", Text("The human message (the field Koha's clients read).")),
        ("error_code", Text("The same as `code`, under Koha's name for it; on a 404 Koha's `not_found` (`code` says what is missing).")),
        ("errors", new OpenApiSchema
        {
            Description = "Details where there are several: by field (an object of message lists), or Koha's query errors (a list " +
                "of `{path, message}`).",
        }),
        ("trace_id", Text("The request's trace id, to quote when reporting a problem.")));

    static OpenApiSchema FolioErrors()
    {
        var parameter = Object("", ["key", "value"], ("key", Text("The field.")), ("value", Text("The value sent.")));
        var error = Object("", ["message", "type", "code"], ("message", Text("What is wrong.")), ("type", Text("Always `1`.")),
            ("code", Text("FOLIO's or Fiscus's code.")),
            ("parameters", new OpenApiSchema { Type = JsonSchemaType.Array, Items = parameter }));
        return Object("mod-feesfines' 422 body (RMB's Errors).", ["errors"],
            ("errors", new OpenApiSchema { Type = JsonSchemaType.Array, Items = error }));
    }

    static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };

    static OpenApiSchema Object(string description, string[] required, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description.Length > 0 ? description : null,
        Required = new HashSet<string>(required, StringComparer.Ordinal),
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema, StringComparer.Ordinal),
    };
}
