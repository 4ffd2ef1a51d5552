namespace Fiscus.Ledger;

/// <summary>
/// Collects validation messages per wire field name, so a client learns every problem with its request at
/// once and each message names the field it is about.
/// </summary>
public sealed class Validation
{
    readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool IsValid => errors.Count == 0;

    public Validation Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }
        list.Add(message);
        return this;
    }

    /// <summary>Required, trimmed-non-empty, at most <paramref name="maxLength"/> characters.</summary>
    public Validation Text(string field, string? value, int maxLength, bool required = true)
    {
        if (value is null)
        {
            return required ? Add(field, $"{field} is required") : this;
        }
        if (required && string.IsNullOrWhiteSpace(value))
        {
            return Add(field, $"{field} must not be empty");
        }
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return Add(field, $"{field} must not contain NUL characters");
        }
        return value.Length > maxLength ? Add(field, $"{field} must be at most {maxLength} characters") : this;
    }

    /// <summary>A code such as a debit type or library id: letters, digits, '_' and '-'.</summary>
    public Validation Code(string field, string? value, int maxLength)
    {
        if (value is null)
        {
            return Add(field, $"{field} is required");
        }
        if (value.Length == 0 || value.Length > maxLength || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            return Add(field, $"{field} must be 1 to {maxLength} letters, digits, '_' or '-'");
        }
        return this;
    }

    public Failure ToFailure()
    {
        var first = errors.First();
        return new Failure(FailureKind.Invalid, "validation_failed", first.Value[0])
        {
            Errors = errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal),
        };
    }
}
