namespace Fiscus.Server.Tests;

/// <summary>
/// The role ladder and the scope matrix, endpoint by endpoint. Each row names an endpoint, the scope it
/// needs and the lowest role that holds that scope. Write requests send an empty body: a caller who may
/// write gets past authorization and is stopped by validation (400) or a missing record (404) instead, so
/// the matrix changes nothing.
/// </summary>
public sealed class AuthorizationMatrixTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    public static TheoryData<string, string, string, string> Endpoints => new()
    {
        { "GET", "/api/v1/libraries", "reference:read", "cashier" },
        { "GET", "/api/v1/libraries/MAIN", "reference:read", "cashier" },
        { "POST", "/api/v1/libraries", "libraries:write", "admin" },
        { "PUT", "/api/v1/libraries/MAIN", "libraries:write", "admin" },
        { "GET", "/api/v1/cash_registers", "registers:read", "cashier" },
        { "GET", "/api/v1/cash_registers/1", "registers:read", "cashier" },
        { "POST", "/api/v1/cash_registers", "registers:write", "admin" },
        { "PUT", "/api/v1/cash_registers/1", "registers:write", "admin" },
        { "POST", "/api/v1/cash_registers/999/archive", "registers:write", "admin" },
        { "POST", "/api/v1/cash_registers/999/unarchive", "registers:write", "admin" },
        { "GET", "/api/v1/debit_types", "reference:read", "cashier" },
        { "GET", "/api/v1/debit_types/PRINT", "reference:read", "cashier" },
        { "POST", "/api/v1/debit_types", "reference:write", "manager" },
        { "PUT", "/api/v1/debit_types/PRINT", "reference:write", "manager" },
        { "POST", "/api/v1/debit_types/NOPE/archive", "reference:write", "manager" },
        { "POST", "/api/v1/debit_types/NOPE/unarchive", "reference:write", "manager" },
        { "GET", "/api/v1/credit_types", "reference:read", "cashier" },
        { "GET", "/api/v1/credit_types/PAYMENT", "reference:read", "cashier" },
        { "POST", "/api/v1/credit_types", "reference:write", "manager" },
        { "PUT", "/api/v1/credit_types/PAYMENT", "reference:write", "manager" },
        { "POST", "/api/v1/credit_types/NOPE/archive", "reference:write", "manager" },
        { "GET", "/api/v1/payment_types", "reference:read", "cashier" },
        { "GET", "/api/v1/payment_types/CASH", "reference:read", "cashier" },
        { "POST", "/api/v1/payment_types", "reference:write", "manager" },
        { "PUT", "/api/v1/payment_types/CASH", "reference:write", "manager" },
        { "POST", "/api/v1/payment_types/NOPE/archive", "reference:write", "manager" },
        { "GET", "/api/v1/patrons", "accounts:read", "cashier" },
        { "GET", "/api/v1/patrons/1", "accounts:read", "cashier" },
        { "POST", "/api/v1/patrons", "patrons:write", "manager" },
        { "PUT", "/api/v1/patrons/1", "patrons:write", "manager" },
        { "GET", "/api/v1/users", "users:write", "admin" },
        { "GET", "/api/v1/users/1", "users:write", "admin" },
        { "POST", "/api/v1/users", "users:write", "admin" },
        { "PUT", "/api/v1/users/999", "users:write", "admin" },
        { "POST", "/api/v1/users/999/disable", "users:write", "admin" },
        { "POST", "/api/v1/users/999/enable", "users:write", "admin" },
        { "POST", "/api/v1/users/999/password", "users:write", "admin" },
        { "GET", "/api/v1/clients", "clients:write", "admin" },
        { "GET", "/api/v1/clients/nope", "clients:write", "admin" },
        { "POST", "/api/v1/clients", "clients:write", "admin" },
        { "PUT", "/api/v1/clients/nope", "clients:write", "admin" },
        { "POST", "/api/v1/clients/nope/disable", "clients:write", "admin" },
        { "POST", "/api/v1/clients/nope/enable", "clients:write", "admin" },
        { "POST", "/api/v1/clients/nope/secret", "clients:write", "admin" },
        { "POST", "/api/v1/cash_registers/1/sales", "sales:write", "cashier" },
        { "GET", "/api/v1/cash_registers/1/sales/999", "registers:read", "cashier" },
        { "POST", "/api/v1/cash_registers/1/refunds", "refunds:write", "manager" },
        { "GET", "/api/v1/cash_registers/1/session", "registers:read", "cashier" },
        { "POST", "/api/v1/cash_registers/999/cashups", "cashups:write", "manager" },
        { "POST", "/api/v1/cash_registers/999/cashups/start", "cashups:write", "manager" },
        { "GET", "/api/v1/cash_registers/1/cashups", "registers:read", "cashier" },
        { "GET", "/api/v1/cashups/999", "registers:read", "cashier" },
        { "GET", "/api/v1/reports/daily?library_id=MAIN", "reports:read", "manager" },
        { "GET", "/api/v1/reports/cash_drawer_reconciliation?from=2026-01-01", "reports:read", "manager" },
        { "GET", "/api/v1/reports/shifts?from=2026-01-01", "reports:read", "manager" },
        { "GET", "/api/v1/fee_fine_owners", "reference:read", "cashier" },
        { "GET", "/api/v1/fee_fine_owners/00000000-0000-4000-8000-000000000000", "reference:read", "cashier" },
        { "POST", "/api/v1/fee_fine_owners", "reference:write", "manager" },
        { "PUT", "/api/v1/fee_fine_owners/00000000-0000-4000-8000-000000000000", "reference:write", "manager" },
    };

    static readonly string[] Ladder = ["cashier", "manager", "admin"];

    static readonly string[] StaffOnlyScopes = ["users:write", "clients:write"];

    static readonly string[] ClientScopes =
    [
        "accounts:read", "accounts:write", "payments:write", "sales:write", "registers:read", "reference:read", "patrons:write",
        "refunds:write", "cashups:write", "reports:read", "reference:write", "registers:write", "libraries:write",
    ];

    static HttpRequestMessage Request(string method, string path) => new(new HttpMethod(method), path)
    {
        Content = method == "GET" ? null : Json.Raw("{}"),
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Without_credentials_every_endpoint_is_401(string method, string path, string scope, string lowestRole)
    {
        _ = (scope, lowestRole);
        using var response = await fiscus.Anonymous().SendAsync(Request(method, path));

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Each_role_reaches_exactly_the_endpoints_of_its_rung(string method, string path, string scope, string lowestRole)
    {
        foreach (var role in Ladder)
        {
            var user = await fiscus.StaffAsync(role);
            using var response = await user.Http.SendAsync(Request(method, path));
            var allowed = Array.IndexOf(Ladder, role) >= Array.IndexOf(Ladder, lowestRole);
            if (allowed)
            {
                Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                    $"{role} should reach {method} {path} ({scope}) but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            else
            {
                var problem = await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
                Assert.Contains(scope, problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_client_needs_exactly_the_endpoints_scope(string method, string path, string scope, string lowestRole)
    {
        _ = lowestRole;
        var everythingElse = await fiscus.ClientAsync(ClientScopes.Where(s => s != scope).ToArray());
        using (var response = await everythingElse.Http.SendAsync(Request(method, path)))
        {
            await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }

        if (StaffOnlyScopes.Contains(scope))
        {
            return; // no client can ever hold it; the client-administration tests prove it cannot be granted
        }
        var onlyThis = await fiscus.ClientAsync([scope]);
        using var allowed = await onlyThis.Http.SendAsync(Request(method, path));
        Assert.True(allowed.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
            $"a client with {scope} should reach {method} {path} but got {(int)allowed.StatusCode}: {await allowed.Content.ReadAsStringAsync()}");
    }
}
