using Bunit;
using Fiscus.Staff.Components.Setup;
using Fiscus.Staff.Model;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Tests.Components.Setup;

/// <summary>
/// The API client form keeps to the server's rules: staff-only scopes are never offered, and a client bound to a library or
/// a register cannot hold a scope that changes what every library shares; the form says why rather than let it be refused.
/// </summary>
public sealed class ClientFormTests : BunitContext
{
    /// <summary>As <c>GET /api/v1/scopes</c> answers (a part of it).</summary>
    internal static readonly ScopeInfo[] Catalogue =
    [
        new("accounts:read", "read patrons and their accounts", ["cashier", "manager", "admin"], false, false),
        new("sales:write", "record point-of-sale sales", ["cashier", "manager", "admin"], false, false),
        new("shifts:write", "run one's own cashier shift", ["cashier", "manager", "admin"], true, false),
        new("registers:read", "read cash registers", ["cashier", "manager", "admin"], false, false),
        new("reference:write", "manage debit, credit and payment types", ["manager", "admin"], false, true),
        new("registers:write", "manage cash registers", ["admin"], false, true),
        new("libraries:write", "manage libraries", ["admin"], false, true),
        new("users:write", "manage staff users", ["admin"], true, false),
        new("clients:write", "manage API clients", ["admin"], true, false),
    ];

    static readonly Library[] Libraries = [new("MAIN", "Main library", "UTC"), new("EAST", "East branch", "Europe/London")];

    static readonly CashRegister[] Registers =
    [
        new(1, "Main desk", "", "MAIN", 100m, false, true),
        new(2, "Old till", "", "MAIN", 0m, true, false),
        new(3, "East desk", "", "EAST", 50m, false, true),
    ];

    IRenderedComponent<ClientForm> Render(List<ClientRequest> sent, ApiClientInfo? existing = null, Func<string, string?>? apiError = null) =>
        Render<ClientForm>(p => p
            .Add(c => c.Catalogue, Catalogue)
            .Add(c => c.Libraries, Libraries)
            .Add(c => c.Registers, Registers)
            .Add(c => c.Existing, existing)
            .Add(c => c.ApiError, apiError)
            .Add(c => c.Submitted, (ClientRequest request) => sent.Add(request)));

    [Fact]
    public void Staff_only_scopes_are_not_offered_and_say_why()
    {
        var form = Render([]);

        Assert.Equal(["accounts:read", "sales:write", "registers:read", "reference:write", "registers:write", "libraries:write"],
            form.FindAll("input[type=checkbox]").Select(c => c.Id!["scope-".Length..].Replace('-', ':')));
        Assert.Contains("Never for an API client: shifts:write, users:write, clients:write.", form.Markup);
    }

    [Fact]
    public void Binding_to_a_register_drops_the_installation_wide_scopes_and_says_why()
    {
        var form = Render([]);
        form.Find("#scope-reference-write").Change(true);
        form.Find("#scope-sales-write").Change(true);
        Assert.True(form.Find("#scope-reference-write").HasAttribute("checked"));

        form.FindAll("input[type=radio]")[2].Change(true);

        Assert.Contains("Unticked reference:write", form.Find("[data-testid=dropped-scopes]").TextContent);
        Assert.False(form.Find("#scope-reference-write").HasAttribute("checked"));
        foreach (var scope in new[] { "reference-write", "registers-write", "libraries-write" })
        {
            Assert.True(form.Find($"#scope-{scope}").HasAttribute("disabled"));
            Assert.Contains(ClientGrant.BoundReason, form.Find($"#scope-{scope}-hint").TextContent);
        }
        Assert.True(form.Find("#scope-sales-write").HasAttribute("checked"));
        Assert.False(form.Find("#scope-sales-write").HasAttribute("disabled"));
        // The archived register is not offered.
        Assert.Equal(["", "1", "3"], form.FindAll("#client-register option").Select(o => o.GetAttribute("value")));

        // Unbound again, they can be ticked again.
        form.FindAll("input[type=radio]")[0].Change(true);
        Assert.False(form.Find("#scope-reference-write").HasAttribute("disabled"));
    }

    [Fact]
    public void A_bound_client_needs_its_register_and_a_scope_before_anything_is_sent()
    {
        var sent = new List<ClientRequest>();
        var form = Render(sent);
        form.Find("#client-name").Change("Kiosk 1");
        form.FindAll("input[type=radio]")[2].Change(true);

        form.Find("form").Submit();

        Assert.Empty(sent);
        Assert.Contains("Choose the register it is bound to.", form.Markup);
        Assert.Contains("Tick at least one scope.", form.Markup);
    }

    [Fact]
    public void The_request_names_the_register_only_with_the_scopes_in_order()
    {
        var sent = new List<ClientRequest>();
        var form = Render(sent);
        form.Find("#client-name").Change("  Kiosk 1 ");
        form.FindAll("input[type=radio]")[2].Change(true);
        form.Find("#client-register").Change("3");
        form.Find("#scope-sales-write").Change(true);
        form.Find("#scope-accounts-read").Change(true);

        form.Find("form").Submit();

        var request = Assert.Single(sent);
        Assert.Equal("Kiosk 1", request.Name);
        Assert.Equal(["accounts:read", "sales:write"], request.Scopes);
        Assert.Equal(3, request.CashRegisterId);
        Assert.Null(request.LibraryId);
    }

    [Fact]
    public void A_library_binding_sends_the_library_and_the_api_refusal_shows_by_its_field()
    {
        var sent = new List<ClientRequest>();
        var form = Render(sent, apiError: field => field == "name" ? "Another API client is already called 'Gate'. Choose another." : null);
        Assert.Contains("Another API client is already called 'Gate'.", form.Find("#client-name ~ .field-error").TextContent);
        form.Find("#client-name").Change("Gate");
        form.FindAll("input[type=radio]")[1].Change(true);
        form.Find("#client-library").Change("EAST");
        form.Find("#scope-registers-read").Change(true);

        form.Find("form").Submit();

        var request = Assert.Single(sent);
        Assert.Equal(("Gate", (int?)null, "EAST"), (request.Name, request.CashRegisterId, request.LibraryId));
        Assert.Equal(["registers:read"], request.Scopes);
    }

    [Fact]
    public void An_existing_client_opens_with_its_binding_and_scopes()
    {
        var existing = new ApiClientInfo("abc", "Kiosk 2", ["registers:read", "sales:write"], 1, "MAIN", false, DateTime.UtcNow, null);
        var form = Render([], existing);

        Assert.Equal("Kiosk 2", form.Find("#client-name").GetAttribute("value"));
        Assert.True(form.FindAll("input[type=radio]")[2].HasAttribute("checked"));
        Assert.Equal("1", form.Find("#client-register").GetAttribute("value"));
        Assert.True(form.Find("#scope-sales-write").HasAttribute("checked"));
        Assert.True(form.Find("#scope-reference-write").HasAttribute("disabled"));
    }
}
