using Fiscus.Server.Configuration;
using Npgsql;

namespace Fiscus.Server.Cli;

/// <summary>
/// What stops a start or a command before it does anything, said in one line for the operator: a bad setting (it names
/// the setting) or a database that cannot be used (it says why, as PostgreSQL or the network did). Anything else is a
/// fault of ours and keeps its stack trace.
/// </summary>
public static class StartFailures
{
    public static string? Describe(Exception exception) => exception switch
    {
        ConfigurationException configuration => configuration.Message,
        Ledger.Database.MigrationException migration => migration.Message,
        NpgsqlException database => $"cannot use the database (FISCUS_DATABASE / FISCUS_MIGRATION_DATABASE): {Reasons(database)}",
        _ => null,
    };

    /// <summary>The message and the causes under it (a multi-host pool's one per host), without repeats.</summary>
    static string Reasons(Exception exception)
    {
        var reasons = new List<string>();
        void Add(Exception? e)
        {
            switch (e)
            {
                case null:
                    return;
                case AggregateException many:
                    foreach (var inner in many.InnerExceptions)
                    {
                        Add(inner);
                    }
                    return;
                default:
                    var text = e.Message.TrimEnd('.');
                    if (!text.StartsWith("One or more errors occurred", StringComparison.Ordinal) &&
                        !text.Contains("Check inner exception", StringComparison.Ordinal) && !reasons.Contains(text))
                    {
                        reasons.Add(text);
                    }
                    Add(e.InnerException);
                    return;
            }
        }
        Add(exception);
        return reasons.Count == 0 ? exception.Message : string.Join(": ", reasons) + ".";
    }
}
