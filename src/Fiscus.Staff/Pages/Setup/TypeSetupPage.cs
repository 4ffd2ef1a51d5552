namespace Fiscus.Staff.Pages.Setup;

/// <summary>
/// What the debit, credit and payment type screens share: a code that is set once and a description, an optional amount, and
/// archiving (a type is never deleted: ledger lines name it; an archived one takes no new money; a system one, which Fiscus
/// itself writes, cannot be archived).
/// </summary>
public abstract class TypeSetupPage : SetupPage
{
    /// <summary>The API's collection, e.g. <c>debit_types</c>.</summary>
    protected abstract string Table { get; }

    /// <summary>Starts the form's own checks: a code (on creation) and a description.</summary>
    protected void CheckCodeAndDescription(bool isNew, string code, string description)
    {
        LocalErrors.Clear();
        if (isNew && string.IsNullOrWhiteSpace(code))
        {
            LocalErrors["code"] = "Enter a code.";
        }
        if (string.IsNullOrWhiteSpace(description))
        {
            LocalErrors["description"] = "Enter a description.";
        }
    }

    /// <summary>An optional amount in minor units: null when left empty (or zero), refused in words when it is not an amount.</summary>
    protected long? ReadAmount(string field, string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (!Currency.TryParse(text, out var minor, out var error))
        {
            LocalErrors[field] = error!;
            return null;
        }
        return minor == 0 ? null : minor;
    }

    protected void AskArchive(string code, string description)
    {
        Cancel();
        Ask(new SetupQuestion($"Archive {code}?", "Archive",
            $"{description} is refused for new money from now on; what was recorded with it stays. It can be brought back later.",
            async () =>
            {
                await Api.PostAsync($"api/v1/{Table}/{Uri.EscapeDataString(code)}/archive");
                Done = $"{code} is archived.";
                await ReloadAsync();
            }));
    }

    protected Task UnarchiveAsync(string code) => ActAsync(async () =>
    {
        await Api.PostAsync($"api/v1/{Table}/{Uri.EscapeDataString(code)}/unarchive");
        Done = $"{code} is in use again.";
        await ReloadAsync();
    });
}
