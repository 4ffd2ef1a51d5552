using System.CommandLine;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Audit;
using Fiscus.Server.Patrons;

namespace Fiscus.Server.Cli;

/// <summary><c>fiscus patron pin</c>: set or clear the PIN a patron gives at a self-service kiosk, as <c>PUT|DELETE /api/v1/patrons/{id}/pin</c> do.</summary>
public sealed partial class FiscusCli
{
    Command PatronCommand(IServiceProvider services)
    {
        var patron = new Command("patron", "Patrons' self-service settings.");
        var cardnumber = new Option<string>("--cardnumber") { Required = true, Description = "The patron's card number" };
        var pinOption = new Option<string?>("--pin")
        {
            Description = $"The new PIN: {PatronPins.MinLength} to {PatronPins.MaxLength} characters, no '|' or control characters",
        };
        var clear = new Option<bool>("--clear") { Description = "Remove the patron's PIN" };
        var pin = new Command("pin", "Set (--pin) or remove (--clear) the PIN a patron gives at a self-service kiosk (SIP2's patron password).")
        {
            cardnumber, pinOption, clear,
        };
        pin.SetAction(async (parse, cancellationToken) =>
        {
            var newPin = parse.GetValue(pinOption);
            var clearing = parse.GetValue(clear);
            if ((newPin is null) == !clearing)
            {
                return Fail("give either --pin PIN or --clear");
            }
            await PrepareAsync(services, cancellationToken);
            var pins = services.GetRequiredService<PatronPins>();
            if (await pins.FindByCardnumberAsync(parse.GetValue(cardnumber)!, cancellationToken) is not { } patronId)
            {
                return Fail($"there is no patron with cardnumber '{parse.GetValue(cardnumber)}'");
            }
            var outcome = await pins.SetAsync(patronId, newPin, Binding.None, AuditActor.CommandLine(), cancellationToken);
            if (!outcome.Succeeded)
            {
                return Fail(outcome.Failure!);
            }
            output.WriteLine(clearing
                ? $"removed the PIN of patron {patronId} (cardnumber {parse.GetValue(cardnumber)})"
                : $"set the PIN of patron {patronId} (cardnumber {parse.GetValue(cardnumber)})");
            return 0;
        });
        patron.Subcommands.Add(pin);
        return patron;
    }
}
