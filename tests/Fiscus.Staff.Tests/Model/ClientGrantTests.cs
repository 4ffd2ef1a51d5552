using Fiscus.Staff.Model;
using Fiscus.Staff.Tests.Components.Setup;

namespace Fiscus.Staff.Tests.Model;

/// <summary>The grant under the server's rules, below any markup.</summary>
public sealed class ClientGrantTests
{
    [Fact]
    public void Staff_only_scopes_can_never_be_granted_and_installation_wide_ones_only_unbound()
    {
        var grant = new ClientGrant(ClientFormTests.Catalogue);

        Assert.False(grant.Set("users:write", true));
        Assert.False(grant.Set("no:such", true));
        Assert.True(grant.Set("libraries:write", true));
        Assert.Equal(["libraries:write"], grant.Bind(ClientBinding.Library));
        Assert.False(grant.Set("libraries:write", true));
        Assert.Empty(grant.Scopes);
        Assert.Empty(grant.Bind(ClientBinding.None));
        Assert.True(grant.Set("libraries:write", true));
    }

    [Theory]
    [InlineData(ClientBinding.None, null, null, new string[0])]
    [InlineData(ClientBinding.Library, null, null, new[] { "library_id" })]
    [InlineData(ClientBinding.Library, "MAIN", null, new string[0])]
    [InlineData(ClientBinding.Register, "MAIN", null, new[] { "cash_register_id" })]
    [InlineData(ClientBinding.Register, null, 1, new string[0])]
    public void A_binding_needs_what_it_binds_to(ClientBinding binding, string? library, int? register, string[] missing)
    {
        var grant = new ClientGrant(ClientFormTests.Catalogue) { LibraryId = library, RegisterId = register };
        grant.Set("sales:write", true);
        grant.Bind(binding);

        Assert.Equal(missing, grant.Problems().Keys.Order(StringComparer.Ordinal));
        var request = grant.ToRequest(" Kiosk ");
        Assert.Equal("Kiosk", request.Name);
        Assert.Equal(binding == ClientBinding.Register ? register : null, request.CashRegisterId);
        Assert.Equal(binding == ClientBinding.Library ? library : null, request.LibraryId);
    }
}
