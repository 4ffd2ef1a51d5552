using System.Text.Json;
using Fiscus.Staff.Model;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Tests.Model;

/// <summary>The audit screen's words: what an act was, who did it (or tried to), what else it recorded, and its days in UTC.</summary>
public sealed class AuditTextTests
{
    static AuditEntry Entry(string action, string actor, string actorName, long? userId = null, string? username = null, string? clientId = null,
        string? details = null, string? remoteAddress = null) =>
        new(1, DateTime.UtcNow, action, null, actor, actorName, userId, username, clientId, null, remoteAddress, "account_line", "7", null, null, null,
            null, details is null ? null : JsonDocument.Parse(details).RootElement.Clone(), []);

    [Theory]
    [InlineData("account.void", "Voided a payment")]
    [InlineData("account.refund", "Refunded a payment")]
    [InlineData("pos.refund", "Refunded a sold item")]
    [InlineData("auth.login_failed", "Failed sign-in")]
    [InlineData("seal.create", "seal.create")]
    public void An_action_is_named_in_words_or_by_its_own_name_when_new(string action, string label) => Assert.Equal(label, AuditText.What(action));

    [Fact]
    public void A_failed_sign_in_names_the_address_and_the_name_tried_and_filters_by_that_name()
    {
        var failed = Entry("auth.login_failed", "anonymous", "anonymous", details: """{"username": "ann"}""", remoteAddress: "192.0.2.7");

        Assert.Equal("someone at 192.0.2.7, as ‘ann’", AuditText.Who(failed));
        Assert.Equal("ann", AuditText.ActorFilter(failed));
        Assert.Empty(AuditText.Details(failed));
    }

    [Fact]
    public void A_staff_member_and_a_client_are_named_and_filtered_by_username_and_client_id()
    {
        var staff = Entry("account.void", "user:4 (ann)", "ann", userId: 4, username: "ann", details: """{"patron_id": 9, "created": [12], "balance": 4.5}""");
        var client = Entry("pos.sale", "client:2 (Kiosk 1)", "Kiosk 1", clientId: "k-123456789012345", details: """{"total": 3, "payment_type": "CASH", "external_id": null}""");
        var cli = Entry("user.create", "cli (root)", "cli (root)", details: """{"username": "bo", "generated_password": true}""");

        Assert.Equal(("ann", "ann"), (AuditText.Who(staff), AuditText.ActorFilter(staff)));
        Assert.Equal(("Kiosk 1", "k-123456789012345"), (AuditText.Who(client), AuditText.ActorFilter(client)));
        // What the row shows elsewhere (patron, created lines) is not repeated; nothing recorded as null is listed.
        Assert.Equal([("balance", "4.5")], AuditText.Details(staff));
        Assert.Equal([("total", "3"), ("payment type", "CASH")], AuditText.Details(client));
        Assert.Equal([("username", "bo"), ("generated password", "yes")], AuditText.Details(cli));
        Assert.Equal(("cli (root)", "cli (root)"), (AuditText.Who(cli), AuditText.ActorFilter(cli)));
    }

    [Fact]
    public void A_day_starts_at_its_midnight_in_the_librarys_zone_or_when_a_clock_change_skips_it()
    {
        Assert.Equal(new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc), LocalTime.StartOfDayUtc(new DateOnly(2026, 3, 1), null));
        Assert.Equal(new DateTime(2026, 7, 1, 4, 0, 0, DateTimeKind.Utc), LocalTime.StartOfDayUtc(new DateOnly(2026, 7, 1), "America/New_York"));
        Assert.Equal(new DateTime(2026, 1, 1, 5, 0, 0, DateTimeKind.Utc), LocalTime.StartOfDayUtc(new DateOnly(2026, 1, 1), "America/New_York"));
        // Santiago moves its clocks at midnight: 2026-09-06 starts at 01:00 local (04:00 UTC).
        Assert.Equal(new DateTime(2026, 9, 6, 4, 0, 0, DateTimeKind.Utc), LocalTime.StartOfDayUtc(new DateOnly(2026, 9, 6), "America/Santiago"));
        Assert.Equal(new DateOnly(2026, 3, 1), LocalTime.Today(new DateTime(2026, 3, 2, 3, 0, 0, DateTimeKind.Utc), "America/New_York"));
    }
}
