namespace Fiscus.Server.Sip2;

public sealed partial class Sip2Session
{
    const string NotHere = "Fiscus takes payments only: please use the library's circulation desk or system for this.";

    /// <summary>
    /// The negative answer to a request Fiscus does not serve: the command's own response with ok = 0 / N, the request's
    /// identifiers echoed, and a screen message. A command id SIP2 does not define gets no answer (null), as the spec says.
    /// </summary>
    string? Unsupported(Sip2Message m)
    {
        var now = Now();
        var ao = Institution(m);
        return m.Command switch
        {
            // Checkout: ok, renewal ok, magnetic media, desensitize, date; AO AA AB AJ AH.
            "11" => new Sip2Response("12").Fixed("0NUN").Fixed(now).Field("AO", ao).Field("AA", m["AA"] ?? "").Field("AB", m["AB"] ?? "")
                .Field("AJ", "").Field("AH", "").Field("AF", NotHere).ToString(),
            // Checkin: ok, resensitize, magnetic media, alert, date; AO AB AQ.
            "09" => new Sip2Response("10").Fixed("0NUN").Fixed(now).Field("AO", ao).Field("AB", m["AB"] ?? "").Field("AQ", "")
                .Field("AF", NotHere).ToString(),
            // Renew: ok, renewal ok, magnetic media, desensitize, date; AO AA AB AJ AH.
            "29" => new Sip2Response("30").Fixed("0NUN").Fixed(now).Field("AO", ao).Field("AA", m["AA"] ?? "").Field("AB", m["AB"] ?? "")
                .Field("AJ", "").Field("AH", "").Field("AF", NotHere).ToString(),
            // Renew all: ok, renewed count, unrenewed count, date; AO.
            "65" => new Sip2Response("66").Fixed("0").Fixed("0000").Fixed("0000").Fixed(now).Field("AO", ao).Field("AF", NotHere).ToString(),
            // Item information: circulation status 01 (other), security marker 00 (other), fee type 01 (other), date; AB AJ.
            "17" => new Sip2Response("18").Fixed("01").Fixed("00").Fixed("01").Fixed(now).Field("AB", m["AB"] ?? "").Field("AJ", "")
                .Field("AF", NotHere).ToString(),
            // Item status update: item properties ok, date; AB.
            "19" => new Sip2Response("20").Fixed("0").Fixed(now).Field("AB", m["AB"] ?? "").Field("AF", NotHere).ToString(),
            // Patron enable: patron status, language, date; AO AA AE BL.
            "25" => new Sip2Response("26").Fixed(DeniedPatronStatus).Fixed("000").Fixed(now).Field("AO", ao).Field("AA", m["AA"] ?? "")
                .Field("AE", "").Field("BL", "N").Field("AF", NotHere).ToString(),
            // Hold: ok, available, date; AO AA.
            "15" => new Sip2Response("16").Fixed("0").Fixed("N").Fixed(now).Field("AO", ao).Field("AA", m["AA"] ?? "")
                .Field("AF", NotHere).ToString(),
            "97" or "96" => null,
            _ => null,
        };
    }

    /// <summary>The database could not be reached: the command's negative answer, saying to try again.</summary>
    string? Unavailable(Sip2Message m)
    {
        const string message = "The payment service is unavailable just now; please try again.";
        return m.Command switch
        {
            "93" => "940",
            "23" or "01" => PatronStatusRefused(m, message),
            "63" => PatronInformationRefused(m, message),
            "37" => FeePaidRefused(m, message),
            _ => Unsupported(m),
        };
    }
}
