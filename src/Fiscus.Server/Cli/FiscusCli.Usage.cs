using System.CommandLine;
using System.CommandLine.Help;
using Fiscus.Ledger;

namespace Fiscus.Server.Cli;

public sealed partial class FiscusCli
{
    /// <summary>What the arguments ask for: to serve, to run a verb, for usage, or a verb Fiscus does not have.</summary>
    public enum Invocation
    {
        Serve,
        Command,
        Help,
        UnknownVerb,
    }

    /// <summary>
    /// No arguments, or only server options (<c>--urls ...</c>, <c>--Setting=value</c>), serve the API; a verb runs it;
    /// <c>--help</c>, <c>-h</c> or <c>help [verb]</c> prints usage; any other word is an unknown verb. Neither of the last
    /// two starts a server.
    /// </summary>
    public static Invocation Classify(string[] args) =>
        args.Length == 0 ? Invocation.Serve
        : Verbs.Contains(args[0], StringComparer.Ordinal) ? Invocation.Command
        : args[0] is "--help" or "-h" or "-?" or "help" ? Invocation.Help
        : args[0].StartsWith('-') ? Invocation.Serve
        : Invocation.UnknownVerb;

    /// <summary>
    /// Usage for <c>--help</c> (standard output, exit 0: asked for, so not a failure, as GNU's standards and the verbs' own
    /// <c>fiscus user --help</c> have it) and for an unknown verb (standard error, exit 2, naming the nearest verb).
    /// <c>help VERB</c> is <c>VERB --help</c>.
    /// </summary>
    public static async Task<int> UsageAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        if (Classify(args) == Invocation.Help)
        {
            if (args is ["help", var verb, ..] && Verbs.Contains(verb, StringComparer.Ordinal))
            {
                return await RunAsync([verb, .. args[2..], "--help"], output: output, error: error);
            }
            WriteUsage(output);
            return 0;
        }
        await error.WriteLineAsync($"fiscus: '{args[0]}' is not a command.{Suggestions.DidYouMean(args[0], Verbs)}");
        WriteUsage(error);
        return 2;
    }

    /// <summary>How to serve, then every verb with its options (required ones bare, optional ones in brackets) and what it does.</summary>
    public static void WriteUsage(TextWriter writer)
    {
        writer.WriteLine("Usage:");
        writer.WriteLine("  fiscus [--urls URLS]          serve the API and the staff app (URLS: FISCUS_URLS, default " + Configuration.FiscusOptions.DefaultUrls + ")");
        writer.WriteLine("  fiscus COMMAND [options]      run a command and exit");
        writer.WriteLine("  fiscus help [COMMAND]         this text, or a command's options in full (also --help, -h)");
        writer.WriteLine();
        writer.WriteLine("Commands:");
        using var services = new ServiceCollection().BuildServiceProvider();
        var root = new FiscusCli(TextWriter.Null, TextWriter.Null).Build(services);
        foreach (var command in root.Subcommands)
        {
            WriteCommand(writer, command, "fiscus " + command.Name);
        }
        writer.WriteLine();
        writer.WriteLine("Settings come from environment variables (FISCUS_DATABASE, FISCUS_URLS, ...; see README.md).");
    }

    static void WriteCommand(TextWriter writer, Command command, string path)
    {
        if (command.Subcommands.Count > 0)
        {
            foreach (var sub in command.Subcommands)
            {
                WriteCommand(writer, sub, $"{path} {sub.Name}");
            }
            return;
        }
        var options = command.Options.Where(o => o is not HelpOption and not VersionOption && !o.Hidden).Select(o =>
        {
            var text = o.ValueType == typeof(bool) ? o.Name : $"{o.Name} {o.HelpName ?? o.Name.TrimStart('-').ToUpperInvariant()}";
            return o.Required ? text : $"[{text}]";
        });
        writer.WriteLine($"  {string.Join(' ', options.Prepend(path))}");
        writer.WriteLine($"      {command.Description}");
    }
}
