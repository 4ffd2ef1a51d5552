using Bunit;
using Fiscus.Staff.Components;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Tests.Components;

/// <summary>The ledger's seal under the Z-report: the hash to file with it, or a plain word that there is none yet.</summary>
public sealed class SealNoteTests : BunitContext
{
    [Fact]
    public void The_latest_seal_shows_its_whole_hash_and_time_in_the_librarys_zone()
    {
        var hash = "3f" + new string('a', 62);
        var note = Render<SealNote>(p => p
            .Add(c => c.Seal, new LedgerSeal(12, hash, new DateTime(2026, 11, 28, 22, 30, 0, DateTimeKind.Utc), 40))
            .Add(c => c.TimeZone, "Europe/London"));

        Assert.Equal(hash, note.Find(".seal-hash").TextContent);
        Assert.Contains("sealed at 2026-11-28 22:30 (seal 12)", note.Find("[data-testid=z-seal]").TextContent);
    }

    [Fact]
    public void Before_the_first_seal_it_says_there_is_no_hash()
    {
        var note = Render<SealNote>(p => p.Add(c => c.Seal, null));

        Assert.Contains("has not been sealed yet", note.Markup);
        Assert.Empty(note.FindAll(".seal-hash"));
    }
}
