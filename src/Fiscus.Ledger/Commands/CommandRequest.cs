namespace Fiscus.Ledger.Commands;

/// <summary>
/// A command as the runner receives it from a transport: who acts, the keys that make it idempotent and the
/// fingerprint that recognises its replay.
/// </summary>
/// <param name="Keys">The caller's idempotency keys: a transport's request key and/or the caller's own transaction reference.</param>
/// <param name="Fingerprint">A hash of what was asked (the transport decides what it covers): the same key with another fingerprint is refused.</param>
/// <param name="Operation">What was asked, in the transport's words, kept with the keys for the refusal of a reused key (<c>POST /api/v1/...</c>).</param>
/// <param name="KeyName">What the transport calls its request key, for the refusal of a reused one (<c>Idempotency-Key</c>).</param>
public sealed record CommandRequest(
    CommandActor Actor, IReadOnlyList<IdempotencyKey> Keys, byte[] Fingerprint, string Method, string Operation, string KeyName = "idempotency key")
{
    /// <summary>A command that no key makes idempotent (the transport sent none).</summary>
    public static CommandRequest Once(CommandActor actor) => new(actor, [], [], "", "");
}

/// <summary>One idempotency key, scoped to the actor. A request's key and a transaction reference are kept apart.</summary>
public sealed record IdempotencyKey(IdempotencyKeyKind Kind, string Value)
{
    /// <summary>The longest key kept (the column's bound, less the prefix that keeps the kinds apart).</summary>
    public const int MaxLength = 255;

    public static IdempotencyKey Request(string value) => new(IdempotencyKeyKind.Request, value);

    public static IdempotencyKey ExternalId(string value) => new(IdempotencyKeyKind.ExternalId, value);

    /// <summary>As stored: <c>key:...</c> or <c>external_id:...</c>.</summary>
    public string Stored => (Kind == IdempotencyKeyKind.Request ? "key:" : "external_id:") + Value;

    public static IdempotencyKey FromStored(string stored) => stored.StartsWith("external_id:", StringComparison.Ordinal)
        ? ExternalId(stored["external_id:".Length..])
        : Request(stored["key:".Length..]);
}

public enum IdempotencyKeyKind
{
    /// <summary>A key the transport carries for the request (HTTP's Idempotency-Key, SIP2's transaction id).</summary>
    Request,
    /// <summary>The caller's own reference for the money (<c>external_id</c>): a second use is the same payment.</summary>
    ExternalId,
}
