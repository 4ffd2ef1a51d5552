namespace Fiscus.Ledger;

/// <summary>How a command failed, independent of the protocol that carried it.</summary>
public enum FailureKind
{
    /// <summary>The request itself is wrong (a field, an unknown reference in the body).</summary>
    Invalid,
    /// <summary>The caller may not touch this resource.</summary>
    Forbidden,
    /// <summary>The resource named by the request does not exist.</summary>
    NotFound,
    /// <summary>The request is valid but the current state refuses it (duplicate, secured, already closed).</summary>
    Conflict,
    /// <summary>An idempotency key or external id already used for a different request.</summary>
    Mismatch,
}

/// <summary>
/// A refused command: a stable machine <see cref="Code"/> that clients may branch on (never renamed once
/// shipped), a human message, and, for validation failures, the offending fields.
/// </summary>
public sealed record Failure(FailureKind Kind, string Code, string Message)
{
    /// <summary>Field name (as on the wire) to messages, for validation failures.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    public static Failure NotFound(string code, string message) => new(FailureKind.NotFound, code, message);

    public static Failure Conflict(string code, string message) => new(FailureKind.Conflict, code, message);

    public static Failure Forbidden(string code, string message) => new(FailureKind.Forbidden, code, message);

    public static Failure Invalid(string field, string message) =>
        new(FailureKind.Invalid, "validation_failed", message) { Errors = new Dictionary<string, string[]> { [field] = [message] } };

    public static Failure Invalid(string code, string field, string message) =>
        new(FailureKind.Invalid, code, message) { Errors = new Dictionary<string, string[]> { [field] = [message] } };

    /// <summary>
    /// The same refusal in a dialect's words: the fields a command names (its own, semantic names such as
    /// <c>payment_type</c>) renamed to what that dialect's request calls them (Polaris' <c>PatronPaymentMethod</c>),
    /// in <see cref="Errors"/> and where the messages name them (a quoted value, such as a payment type's code, is left as sent).
    /// </summary>
    public Failure WithFieldNames(IReadOnlyDictionary<string, string> wireNames)
    {
        if (Errors is null || !Errors.Keys.Any(wireNames.ContainsKey))
        {
            return this;
        }
        string Rename(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"(?<![\w.\['])[a-z_]+(?![\w\]'])",
            m => wireNames.TryGetValue(m.Value, out var wire) && Errors.ContainsKey(m.Value) ? wire : m.Value);
        return this with
        {
            Message = Rename(Message),
            Errors = Errors.ToDictionary(e => wireNames.GetValueOrDefault(e.Key, e.Key), e => e.Value.Select(Rename).ToArray()),
        };
    }
}

/// <summary>Either a value or a <see cref="Failure"/>.</summary>
public readonly record struct Outcome<T>
{
    Outcome(T? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public Failure? Failure { get; }

    public bool Succeeded => Failure is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Failure failure) => new(default, failure);
}
