using Fiscus.Ledger.Audit;
using System.CommandLine;
using System.Globalization;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Sealing;
using Fiscus.Ledger.Verification;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Clients;
using Fiscus.Server.Configuration;
using Fiscus.Server.Startup;
using Fiscus.Server.Users;
using Npgsql;

namespace Fiscus.Server.Cli;

/// <summary>
/// The operator's verbs on the same executable: <c>fiscus migrate</c>, <c>fiscus user add|list|password|disable|enable</c>,
/// <c>fiscus client add|list|rotate-secret|disable|enable</c>, <c>fiscus sip-login add|list|password|disable|enable</c>,
/// <c>fiscus patron pin</c>, <c>fiscus verify [--against HASH]</c>, <c>fiscus seal show|now</c>, <c>fiscus audit</c>,
/// <c>fiscus backup [--to FILE]</c>, <c>fiscus restore --from FILE [--force]</c>. They use the same rules (and audit log) as the API.
/// </summary>
public sealed partial class FiscusCli(TextWriter output, TextWriter error)
{
    static readonly string[] Verbs = ["migrate", "user", "client", "sip-login", "patron", "verify", "seal", "audit", "backup", "restore"];


    /// <param name="args">The verb and its options.</param>
    /// <param name="settings">Configuration on top of environment variables and appsettings.json (tests).</param>
    /// <param name="output">Where results go (standard output by default).</param>
    /// <param name="error">Where errors go (standard error by default).</param>
    /// <returns>0 on success, 1 when the request was refused, 2 when Fiscus could not run it.</returns>
    public static async Task<int> RunAsync(
        string[] args, IReadOnlyDictionary<string, string?>? settings = null, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Services.AddFiscusCore();
        using var host = builder.Build();
        try
        {
            var parse = new FiscusCli(output, error).Build(host.Services).Parse(args);
            // Exceptions reach the handlers below, which explain configuration and database problems.
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (StartFailures.Describe(e) is { } failure)
        {
            await error.WriteLineAsync($"fiscus: {failure}");
            return 2;
        }
    }

    RootCommand Build(IServiceProvider services)
    {
        var root = new RootCommand("Fiscus: payments ledger and point-of-sale cash service for libraries.");
        root.Subcommands.Add(MigrateCommand(services));
        root.Subcommands.Add(UserCommand(services));
        root.Subcommands.Add(ClientCommand(services));
        root.Subcommands.Add(SipLoginCommand(services));
        root.Subcommands.Add(PatronCommand(services));
        root.Subcommands.Add(VerifyCommand(services));
        root.Subcommands.Add(SealCommand(services));
        root.Subcommands.Add(AuditCommand(services));
        root.Subcommands.Add(BackupCommand(services));
        root.Subcommands.Add(RestoreCommand(services));
        return root;
    }

    Command VerifyCommand(IServiceProvider services)
    {
        var against = new Option<string?>("--against")
        {
            HelpName = "HASH",
            Description = "A seal's hash recorded earlier (`fiscus seal show`): also prove that seal is still in the chain, so nothing it covers changed",
        };
        var command = new Command("verify",
            "Check every ledger invariant and recompute the seal over the whole database; exits 1 on any violation.") { against };
        command.SetAction(async (parse, cancellationToken) =>
        {
            byte[]? recorded = null;
            if (parse.GetValue(against) is { } text && (recorded = LedgerSeal.ParseHash(text)) is null)
            {
                return Fail($"--against must be a seal's hash as `fiscus seal show` prints it (64 hex digits), not '{text}'");
            }
            return await VerifyAsync(services, recorded, cancellationToken);
        });
        return command;
    }

    /// <summary>What <c>fiscus verify</c> prints, and its exit code; also the last step of <c>fiscus restore</c>.</summary>
    async Task<int> VerifyAsync(IServiceProvider services, byte[]? recorded, CancellationToken cancellationToken)
    {
        await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(cancellationToken);
        var report = await LedgerVerifier.VerifyAsync(connection, cancellationToken, recorded);
        output.WriteLine($"checked {report.Lines} account lines and {report.Offsets} offsets");
        var status = report.Seal.Status;
        output.WriteLine(status.Latest is { } latest
            ? $"recomputed {latest.SealNo} seal(s) over {status.RowsSealed} rows; the latest is seal {latest.SealNo} ({latest.HashHex}, {Time(latest.SealedAt)}); {status.RowsWaiting} row(s) wait for the next seal"
            : $"nothing is sealed yet; {status.RowsWaiting} row(s) wait for the first seal");
        if (report.Seal.AnchorHolds)
        {
            output.WriteLine($"the recorded hash is seal {report.Seal.Anchor!.SealNo}'s: nothing it or the seals before it cover has changed");
        }
        foreach (var group in report.Violations.GroupBy(v => v.Check))
        {
            error.WriteLine($"VIOLATION {group.Key}:");
            foreach (var violation in group)
            {
                error.WriteLine($"  {violation.Detail}");
            }
        }
        output.WriteLine(report.IsClean ? "ledger is consistent" : $"{report.Violations.Count} violation(s) found");
        return report.IsClean ? 0 : 1;
    }

    Command MigrateCommand(IServiceProvider services)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "List the migrations that would be applied (version and name) and change nothing" };
        var command = new Command("migrate", "Apply the schema migrations (and seed reference data on a new database).") { dryRun };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var migrator = services.GetRequiredService<Migrator>();
            if (parse.GetValue(dryRun))
            {
                var pending = await migrator.PendingAsync(cancellationToken);
                foreach (var migration in pending)
                {
                    output.WriteLine($"would apply {migration.Version:D4} {migration.Name}");
                }
                output.WriteLine(pending.Count == 0
                    ? "schema is up to date; nothing was changed"
                    : $"{pending.Count} migration(s) would be applied; nothing was changed");
                return 0;
            }
            var applied = await migrator.MigrateAsync(cancellationToken);
            foreach (var migration in applied)
            {
                output.WriteLine($"applied {migration.Version:D4} {migration.Name}");
            }
            var prepared = await PrepareAsync(services, cancellationToken);
            output.WriteLine(applied.Count == 0 ? "schema is up to date" : $"{applied.Count} migration(s) applied");
            if (prepared.Created)
            {
                output.WriteLine("new installation: reference data seeded");
            }
            if (prepared.RuntimeRoleWarning is { } warning)
            {
                error.WriteLine($"fiscus: warning: {warning}");
            }
            return 0;
        });
        return command;
    }

    Command UserCommand(IServiceProvider services)
    {
        var user = new Command("user", "Manage staff users.");
        var username = new Option<string>("--username") { Required = true, Description = "Login name" };
        var password = new Option<string>("--password")
        {
            Description = "Password: at least 12 characters for admins and managers, 8 for cashiers; not a common one. Left out, one is generated and printed",
        };
        var role = new Option<string>("--role") { Required = true, Description = "admin, manager or cashier" };
        role.AcceptOnlyFromAmong([.. Roles.All]);
        var library = new Option<string?>("--library") { Description = "Home library code, e.g. MAIN" };

        var add = new Command("add", "Add a staff user.") { username, password, role, library };
        add.SetAction(async (parse, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var users = services.GetRequiredService<StaffUsers>();
            var outcome = await users.CreateAsync(new StaffUsers.NewUser(
                parse.GetValue(username), parse.GetValue(password), parse.GetValue(role), parse.GetValue(library)),
                AuditActor.CommandLine(), cancellationToken);
            if (!outcome.Succeeded)
            {
                return Fail(outcome.Failure!);
            }
            var (created, generated) = outcome.Value;
            output.WriteLine($"created user {created.Username} (user_id {created.UserId}, role {created.Role})");
            if (generated is not null)
            {
                output.WriteLine($"password for {created.Username} (shown once): {generated}");
            }
            return 0;
        });

        var list = new Command("list", "List staff users.");
        list.SetAction(async (_, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var (rows, _) = await services.GetRequiredService<StaffUsers>().ListAsync(0, int.MaxValue, cancellationToken);
            PrintTable(["user_id", "username", "role", "library", "status"], rows.Select(u => new[]
            {
                u.UserId.ToString(CultureInfo.InvariantCulture), u.Username, u.Role, u.LibraryId ?? "-",
                u.DisabledAt is null ? "enabled" : "disabled",
            }));
            return 0;
        });

        var newPassword = new Option<string?>("--password") { Description = "New password; left out, one is generated and printed" };
        var passwordCommand = new Command("password", "Set or generate a new password for a user (revokes their sessions).")
        {
            username, newPassword,
        };
        passwordCommand.SetAction(async (parse, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var users = services.GetRequiredService<StaffUsers>();
            if (await users.FindByUsernameAsync(parse.GetValue(username)!, cancellationToken) is not { } found)
            {
                return Fail($"there is no user '{parse.GetValue(username)}'");
            }
            var outcome = await users.SetPasswordAsync(found.UserId, parse.GetValue(newPassword), AuditActor.CommandLine(), cancellationToken);
            if (!outcome.Succeeded)
            {
                return Fail(outcome.Failure!);
            }
            output.WriteLine(parse.GetValue(newPassword) is null
                ? $"new password for {found.Username}: {outcome.Value.Password}"
                : $"password changed for {found.Username}");
            return 0;
        });

        user.Subcommands.Add(add);
        user.Subcommands.Add(list);
        user.Subcommands.Add(passwordCommand);
        user.Subcommands.Add(UserToggle(services, username, disable: true));
        user.Subcommands.Add(UserToggle(services, username, disable: false));
        return user;
    }

    Command UserToggle(IServiceProvider services, Option<string> username, bool disable)
    {
        var command = new Command(disable ? "disable" : "enable", disable ? "Disable a user (revokes their sessions)." : "Re-enable a user.")
        {
            username,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var users = services.GetRequiredService<StaffUsers>();
            if (await users.FindByUsernameAsync(parse.GetValue(username)!, cancellationToken) is not { } found)
            {
                return Fail($"there is no user '{parse.GetValue(username)}'");
            }
            var outcome = await users.SetDisabledAsync(found.UserId, disable, AuditActor.CommandLine(), cancellationToken);
            if (!outcome.Succeeded)
            {
                return Fail(outcome.Failure!);
            }
            output.WriteLine($"{(disable ? "disabled" : "enabled")} user {found.Username}");
            return 0;
        });
        return command;
    }

    Command ClientCommand(IServiceProvider services)
    {
        var client = new Command("client", "Manage API clients (kiosks, payment gateways, integrations).");
        var name = new Option<string>("--name") { Required = true, Description = "What the client is, e.g. \"Kiosk 1\"" };
        var scopes = new Option<string>("--scopes")
        {
            Required = true,
            Description = "Space- or comma-separated scopes, e.g. \"payments:write sales:write registers:read\"",
        };
        var register = new Option<int?>("--register") { Description = "Bind the client to this cash register id" };
        var library = new Option<string?>("--library") { Description = "Bind the client to this library code" };
        var clientId = new Option<string>("--client-id") { Required = true, Description = "The client's client_id" };

        var add = new Command("add", "Add an API client; prints its client_id and secret once.") { name, scopes, register, library };
        add.SetAction(async (parse, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var scopeList = parse.GetValue(scopes)!.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var outcome = await services.GetRequiredService<ApiClients>().CreateAsync(
                new ApiClients.ClientSpec(parse.GetValue(name), scopeList, parse.GetValue(register), parse.GetValue(library)),
                AuditActor.CommandLine(), cancellationToken);
            if (!outcome.Succeeded)
            {
                return Fail(outcome.Failure!);
            }
            PrintSecret(outcome.Value.Client, outcome.Value.Secret);
            return 0;
        });

        var list = new Command("list", "List API clients.");
        list.SetAction(async (_, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var (rows, _) = await services.GetRequiredService<ApiClients>().ListAsync(0, int.MaxValue, cancellationToken);
            PrintTable(["client_id", "name", "scopes", "register", "library", "status"], rows.Select(c => new[]
            {
                c.ClientId, c.Name, string.Join(' ', c.Scopes), c.CashRegisterId?.ToString(CultureInfo.InvariantCulture) ?? "-",
                c.LibraryId ?? "-", c.DisabledAt is null ? "enabled" : "disabled",
            }));
            return 0;
        });

        var rotate = new Command("rotate-secret", "Issue a new secret (printed once) and revoke the client's tokens.") { clientId };
        rotate.SetAction(async (parse, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var outcome = await services.GetRequiredService<ApiClients>().RotateSecretAsync(
                parse.GetValue(clientId)!, AuditActor.CommandLine(), cancellationToken);
            if (!outcome.Succeeded)
            {
                return Fail(outcome.Failure!);
            }
            PrintSecret(outcome.Value.Client, outcome.Value.Secret);
            return 0;
        });

        client.Subcommands.Add(add);
        client.Subcommands.Add(list);
        client.Subcommands.Add(rotate);
        foreach (var disable in new[] { true, false })
        {
            var toggle = new Command(disable ? "disable" : "enable", disable ? "Disable a client (revokes its tokens)." : "Re-enable a client.")
            {
                clientId,
            };
            toggle.SetAction(async (parse, cancellationToken) =>
            {
                await PrepareAsync(services, cancellationToken);
                var outcome = await services.GetRequiredService<ApiClients>().SetDisabledAsync(
                    parse.GetValue(clientId)!, disable, AuditActor.CommandLine(), cancellationToken);
                if (!outcome.Succeeded)
                {
                    return Fail(outcome.Failure!);
                }
                output.WriteLine($"{(disable ? "disabled" : "enabled")} client {outcome.Value!.ClientId}");
                return 0;
            });
            client.Subcommands.Add(toggle);
        }
        return client;
    }

    Task<DatabasePreparation> PrepareAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        DatabaseStartup.PrepareAsync(services.GetRequiredService<SchemaOwner>(), services.GetRequiredService<NpgsqlDataSource>(),
            services.GetRequiredService<Migrator>(), services.GetRequiredService<FiscusOptions>(), services.GetRequiredService<TimeProvider>(),
            cancellationToken);

    void PrintSecret(ApiClient client, string secret)
    {
        output.WriteLine($"client_id:     {client.ClientId}");
        output.WriteLine($"client_secret: {secret}");
        output.WriteLine($"name:          {client.Name}");
        output.WriteLine($"scopes:        {string.Join(' ', client.Scopes)}");
        if (client.CashRegisterId is { } registerId)
        {
            output.WriteLine($"register:      {registerId}");
        }
        if (client.LibraryId is { } libraryId)
        {
            output.WriteLine($"library:       {libraryId}");
        }
        output.WriteLine("The secret is shown only now; store it in the client's configuration.");
    }

    int Fail(Ledger.Failure failure)
    {
        var details = failure.Errors is { Count: > 1 } errors ? string.Join("; ", errors.SelectMany(e => e.Value)) : failure.Message;
        return Fail(details);
    }

    int Fail(string message)
    {
        error.WriteLine($"fiscus: {message}");
        return 1;
    }

    void PrintTable(string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
