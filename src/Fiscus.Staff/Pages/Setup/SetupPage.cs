using Fiscus.Staff.Model;
using Fiscus.Staff.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Fiscus.Staff.Pages.Setup;

/// <summary>A question asked before a destructive or security-sensitive act; <see cref="Act"/> runs when it is confirmed.</summary>
public sealed record SetupQuestion(string Title, string ConfirmLabel, string Detail, Func<Task> Act, bool Danger = true);

/// <summary>
/// What every Setup screen does alike: it opens only for the scope of its section (the server refuses the rest anyway),
/// loads its list, sends a form and keeps the API's refusal in words by field (the validation errors name the wire field,
/// and a 409 about a taken name or code is put next to that field), and asks before acts that cannot be taken back.
/// </summary>
public abstract class SetupPage : ComponentBase
{
    [Inject] protected FiscusApi Api { get; set; } = default!;

    [Inject] protected StaffSession Session { get; set; } = default!;

    public abstract SetupSection Section { get; }

    public bool Allowed => Session.Can(Section.Scope);

    protected Currency Currency => Session.Currency;

    /// <summary>Why the list could not be loaded.</summary>
    protected string? LoadProblem { get; private set; }

    protected bool Loaded { get; private set; }

    /// <summary>The API's refusal of the last form sent.</summary>
    protected ApiException? Refusal { get; private set; }

    /// <summary>What the form as a whole must say (the fields say the rest).</summary>
    protected string? FormProblem { get; set; }

    /// <summary>The form's own checks, by wire field, made before sending.</summary>
    protected Dictionary<string, string> LocalErrors { get; } = new(StringComparer.Ordinal);

    /// <summary>What the last act did, read out by screen readers.</summary>
    public string? Done { get; protected set; }

    /// <summary>Why the last act without a form (enable, unarchive) was refused.</summary>
    public string? ActProblem { get; private set; }

    public bool Busy { get; private set; }

    public SetupQuestion? Asking { get; private set; }

    public string? AskProblem { get; private set; }

    protected override async Task OnInitializedAsync()
    {
        if (Allowed)
        {
            await ReloadAsync();
        }
    }

    protected abstract Task LoadAsync();

    protected async Task ReloadAsync()
    {
        try
        {
            await LoadAsync();
            LoadProblem = null;
        }
        catch (ApiException e)
        {
            LoadProblem = e.Advice;
        }
        catch (ApiUnreachableException e)
        {
            LoadProblem = e.Message;
        }
        Loaded = true;
    }

    /// <summary>Closes the screen's open form, if any.</summary>
    protected virtual void CloseForm()
    {
    }

    protected void Cancel()
    {
        CloseForm();
        ResetForm();
    }

    /// <summary>Escape backs out of a form, as at the counter.</summary>
    protected void FormKey(KeyboardEventArgs e)
    {
        if (e.Key == "Escape")
        {
            Cancel();
        }
    }

    /// <summary>Clears what the last form said, for a fresh one.</summary>
    protected void ResetForm()
    {
        Refusal = null;
        FormProblem = null;
        LocalErrors.Clear();
    }

    /// <summary>Sends a write; false when refused or unreachable (the form then says why), true when done.</summary>
    protected async Task<bool> SaveAsync(Func<Task> write)
    {
        if (Busy)
        {
            return false;
        }
        Refusal = null;
        FormProblem = LocalErrors.Count > 0 ? "Fix what is marked above." : null;
        if (LocalErrors.Count > 0)
        {
            return false;
        }
        Busy = true;
        Done = null;
        try
        {
            await write();
            return true;
        }
        catch (ApiException e)
        {
            Refusal = e;
            FormProblem = e.Problem.Errors is { Count: > 0 } || ConflictField(e.Code) is not null ? "Fix what is marked above." : Words(e);
            return false;
        }
        catch (ApiUnreachableException e)
        {
            FormProblem = e.Message + " Check the list before sending it again.";
            return false;
        }
        finally
        {
            Busy = false;
        }
    }

    /// <summary>The words for one wire field: the form's own check, the API's validation message, or a taken name.</summary>
    protected string? ErrorFor(string field) =>
        LocalErrors.TryGetValue(field, out var local) ? local
        : Refusal?.For(field) is { } message ? message
        : Refusal is { Status: 409 } conflict && ConflictField(conflict.Code) == field ? $"{conflict.Message} Choose another." : null;

    protected void Ask(SetupQuestion question)
    {
        Asking = question;
        AskProblem = null;
        ActProblem = null;
        Done = null;
    }

    /// <summary>An act that takes nothing away (enable, unarchive), so asks no question; a refusal is shown in words.</summary>
    protected async Task ActAsync(Func<Task> act)
    {
        if (Busy)
        {
            return;
        }
        Busy = true;
        Done = null;
        ActProblem = null;
        Asking = null;
        try
        {
            await act();
        }
        catch (ApiException e)
        {
            ActProblem = Words(e);
        }
        catch (ApiUnreachableException e)
        {
            ActProblem = e.Message;
        }
        finally
        {
            Busy = false;
        }
    }

    public void Dismiss()
    {
        if (!Busy)
        {
            Asking = null;
            AskProblem = null;
        }
    }

    /// <summary>Runs the confirmed act; a refusal stays in the dialog, in words.</summary>
    public async Task AnswerAsync()
    {
        if (Asking is not { } question || Busy)
        {
            return;
        }
        Busy = true;
        AskProblem = null;
        try
        {
            await question.Act();
            Asking = null;
        }
        catch (ApiException e)
        {
            AskProblem = Words(e);
        }
        catch (ApiUnreachableException e)
        {
            AskProblem = e.Message + " Check the list before trying again.";
        }
        finally
        {
            Busy = false;
        }
    }

    /// <summary>"$12.50" from the API's major units.</summary>
    protected string Money(decimal major) => Currency.Format(Currency.ToMinor(major));

    /// <summary>A 409 whose message names a field: a name or code that is taken.</summary>
    static string? ConflictField(string? code) => code switch
    {
        "username_taken" => "username",
        "client_name_taken" or "register_name_taken" => "name",
        "library_exists" => "library_id",
        "debit_type_exists" or "credit_type_exists" or "payment_type_exists" => "code",
        _ => null,
    };

    /// <summary>
    /// The API's words. Its 409s here already say what to do (make another admin first, cash the register up first); a
    /// 403 names the permission that is missing.
    /// </summary>
    static string Words(ApiException e) => e.Status is 409 or 403 ? e.Message : e.Advice;
}
