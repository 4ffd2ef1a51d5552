using System.CommandLine;
using System.Globalization;
using Fiscus.Ledger.Audit;
using Fiscus.Server.Sip2;

namespace Fiscus.Server.Cli;

/// <summary>
/// <c>fiscus sip-login add|list|disable|enable|password</c>: the logins self-service kiosks sign in to the SIP2 server with,
/// under the same rules and audit as <c>/api/v1/sip_logins</c>. Kiosk vendors' instructions name these verbs and options.
/// </summary>
public sealed partial class FiscusCli
{
    Command SipLoginCommand(IServiceProvider services)
    {
        var sipLogin = new Command("sip-login", "Manage SIP logins: the credentials and settings self-service kiosks sign in to SIP2 with.");
        var login = new Option<string>("--login") { Required = true, Description = "The login the kiosk sends (93's CN), e.g. kiosk-main-1" };
        var password = new Option<string?>("--password")
        {
            Description = "The password the kiosk sends (93's CO): at least 8 characters, not a common one. Left out, one is generated and printed",
        };
        var library = new Option<string>("--library") { Required = true, Description = "The library whose patrons the kiosk serves, e.g. MAIN" };
        var register = new Option<int>("--register") { Required = true, Description = "The cash register id the kiosk's money is taken into" };
        var patronPassword = new Option<string>("--patron-password")
        {
            DefaultValueFactory = _ => PatronPasswordPolicy.IfSet,
            Description = "Whether a patron's PIN (AD) is required, checked only when the patron has one, or ignored",
        };
        patronPassword.AcceptOnlyFromAmong(PatronPasswordPolicy.All);
        var overpayment = new Option<string>("--overpayment")
        {
            DefaultValueFactory = _ => OverpaymentPolicy.Refuse,
            Description = "A payment for more than the patron owes: refused, or the excess kept as the patron's credit",
        };
        overpayment.AcceptOnlyFromAmong(OverpaymentPolicy.All);
        var paymentTypes = new Option<string[]>("--payment-type")
        {
            Description = "SIP2 payment type=Fiscus payment type, e.g. 01=CARD (repeatable). Given, these are the whole map; "
                + "left out, the map is 00=SIP00 01=CARD 02=CARD",
            AllowMultipleArgumentsPerToken = false,
        };
        var fineItemFormat = new Option<string?>("--fine-item-format")
        {
            Description = $"How a fine item (AV) is listed, with {{id}}; placeholders: {string.Join(" ", SipLogins.FineItemPlaceholders)}. "
                + $"Default: \"{SipLogin.DefaultFineItemFormat}\"",
        };

        var add = new Command("add", "Add a SIP login for a kiosk; prints its password once when it was generated.")
        {
            login, password, library, register, patronPassword, overpayment, paymentTypes, fineItemFormat,
        };
        add.SetAction(async (parse, cancellationToken) =>
        {
            IReadOnlyDictionary<string, string>? map = null;
            if (parse.GetValue(paymentTypes) is { Length: > 0 } pairs)
            {
                if (PaymentTypeMap(pairs) is not { } parsed)
                {
                    return Fail("--payment-type must be a SIP2 payment type and a Fiscus payment type, given once each: --payment-type 01=CARD");
                }
                map = parsed;
            }
            await PrepareAsync(services, cancellationToken);
            var outcome = await services.GetRequiredService<SipLogins>().CreateAsync(new SipLogins.NewSipLogin(
                    parse.GetValue(login), parse.GetValue(password), parse.GetValue(library), parse.GetValue(register),
                    parse.GetValue(patronPassword), parse.GetValue(overpayment), map, parse.GetValue(fineItemFormat)),
                AuditActor.CommandLine(), cancellationToken);
            if (!outcome.Succeeded)
            {
                return Fail(outcome.Failure!);
            }
            var (created, generated) = outcome.Value;
            output.WriteLine($"created SIP login {created.Login}");
            PrintSipLogin(created);
            if (generated is not null)
            {
                output.WriteLine($"password for {created.Login} (shown once): {generated}");
            }
            return 0;
        });

        var list = new Command("list", "List SIP logins.");
        list.SetAction(async (_, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var (rows, _) = await services.GetRequiredService<SipLogins>().ListAsync(0, int.MaxValue, cancellationToken);
            PrintTable(["login", "library", "register", "patron_password", "overpayment", "payment_types", "status"], rows.Select(l => new[]
            {
                l.Login, l.LibraryId, l.CashRegisterId.ToString(CultureInfo.InvariantCulture), l.PatronPassword, l.Overpayment,
                Describe(l.PaymentTypes), l.DisabledAt is null ? "enabled" : "disabled",
            }));
            return 0;
        });

        var newPassword = new Option<string?>("--password") { Description = "New password; left out, one is generated and printed" };
        var passwordCommand = new Command("password", "Set or generate a new password for a SIP login (the kiosk's configuration must follow).")
        {
            login, newPassword,
        };
        passwordCommand.SetAction(async (parse, cancellationToken) =>
        {
            await PrepareAsync(services, cancellationToken);
            var outcome = await services.GetRequiredService<SipLogins>().SetPasswordAsync(
                parse.GetValue(login)!, parse.GetValue(newPassword), AuditActor.CommandLine(), cancellationToken);
            if (!outcome.Succeeded)
            {
                return Fail(outcome.Failure!);
            }
            output.WriteLine(parse.GetValue(newPassword) is null
                ? $"new password for {outcome.Value.Login.Login}: {outcome.Value.Password}"
                : $"password changed for {outcome.Value.Login.Login}");
            return 0;
        });

        sipLogin.Subcommands.Add(add);
        sipLogin.Subcommands.Add(list);
        sipLogin.Subcommands.Add(passwordCommand);
        foreach (var disable in new[] { true, false })
        {
            var toggle = new Command(disable ? "disable" : "enable",
                disable ? "Disable a SIP login (its kiosk can neither sign in nor take money)." : "Re-enable a SIP login.") { login };
            toggle.SetAction(async (parse, cancellationToken) =>
            {
                await PrepareAsync(services, cancellationToken);
                var outcome = await services.GetRequiredService<SipLogins>().SetDisabledAsync(
                    parse.GetValue(login)!, disable, AuditActor.CommandLine(), cancellationToken);
                if (!outcome.Succeeded)
                {
                    return Fail(outcome.Failure!);
                }
                output.WriteLine($"{(disable ? "disabled" : "enabled")} SIP login {outcome.Value!.Login}");
                return 0;
            });
            sipLogin.Subcommands.Add(toggle);
        }
        return sipLogin;
    }

    /// <summary><c>01=CARD</c> pairs as a map; null when one is malformed or a SIP2 type is given twice (the rest is the service's to judge).</summary>
    static Dictionary<string, string>? PaymentTypeMap(string[] pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0 || !map.TryAdd(parts[0], parts[1]))
            {
                return null;
            }
        }
        return map;
    }

    static string Describe(IReadOnlyDictionary<string, string> paymentTypes) =>
        string.Join(' ', paymentTypes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    void PrintSipLogin(SipLogin login)
    {
        output.WriteLine($"library:          {login.LibraryId}");
        output.WriteLine($"register:         {login.CashRegisterId}");
        output.WriteLine($"patron_password:  {login.PatronPassword}");
        output.WriteLine($"overpayment:      {login.Overpayment}");
        output.WriteLine($"payment_types:    {Describe(login.PaymentTypes)}");
        output.WriteLine($"fine_item_format: {login.FineItemFormat}");
    }
}
