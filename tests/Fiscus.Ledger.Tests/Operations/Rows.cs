using Fiscus.Ledger.Accounts;
using Npgsql;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// One row of a ledger rule table: what it shows (<see cref="What"/>, its name in the test results), what has happened
/// (<see cref="Given"/>, each step a committed command), who asks, the command asked, and what must follow.
/// </summary>
public sealed record Row(string What, Step[] Given, Actor Who, Command Command, Then Then)
{
    public override string ToString() => What;
}

/// <summary>Something that happened before the command under test, committed; it must succeed.</summary>
public delegate Task Step(World world);

/// <summary>Who runs the command, in the row's world.</summary>
public delegate LedgerActor Actor(World world);

/// <summary>The command under test, run as its own transaction by <paramref name="actor"/>.</summary>
public delegate Task<Answer> Command(World world, LedgerActor actor);

/// <summary>What a command answered: its refusal, or what it says it did in a few words and the balance it reports.</summary>
public sealed record Answer(Failure? Failure, string? Text, long? BalanceMinor)
{
    public static Answer Of<T>(Outcome<T> outcome, Func<T, string>? text = null, Func<T, long>? balanceMinor = null) =>
        outcome.Failure is { } failure
            ? new(failure, null, null)
            : new(null, text?.Invoke(outcome.Value!), balanceMinor?.Invoke(outcome.Value!));
}

/// <summary>
/// What must follow a command: either it is refused (its kind, stable code and the fields <see cref="Failure.Errors"/> names)
/// and nothing at all changes; or it succeeds, the row's patron owes <see cref="BalanceMinor"/>, and the lines it wrote or changed
/// are exactly <see cref="Lines"/> (in the words of <see cref="LedgerState"/>, in id order; a line that existed before is prefixed
/// "now"). <see cref="Answer"/>, when given, is what the command says it did.
/// </summary>
public sealed record Then(FailureKind? Kind, string? Code, string[] Fields, long? BalanceMinor, string[] Lines, string? Answer = null)
{
    public bool Refuses => Code is not null;

    public static Then Ok(long balanceMinor, params string[] lines) => new(null, null, [], balanceMinor, lines);

    public static Then Refused(FailureKind kind, string code, params string[] fields) => new(kind, code, fields, null, []);

    public static Then Invalid(string code, params string[] fields) => Refused(FailureKind.Invalid, code, fields);

    public static Then Forbidden(string code = "forbidden") => Refused(FailureKind.Forbidden, code);

    public static Then Conflict(string code) => Refused(FailureKind.Conflict, code);

    public static Then NotFound(string code) => Refused(FailureKind.NotFound, code);

    public Then Answering(string answer) => this with { Answer = answer };
}

/// <summary>Commands for rows: one on the row's patron's account, or one that opens no account itself.</summary>
public static class Run
{
    public static Command OnAccount<T>(
        Func<World, PatronAccount, Task<Outcome<T>>> command, Func<T, long> balanceMinor, Func<T, string>? text = null) =>
        async (w, actor) => Answer.Of(await w.OnAccountAsync(actor, account => command(w, account)), text, balanceMinor);

    public static Command Alone<T>(
        Func<World, LedgerActor, NpgsqlConnection, NpgsqlTransaction, Task<Outcome<T>>> command, Func<T, string>? text = null) =>
        async (w, actor) => Answer.Of(await w.RunAsync((connection, transaction) => command(w, actor, connection, transaction)), text);
}
