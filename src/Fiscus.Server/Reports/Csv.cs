using System.Globalization;
using System.Text;
using Fiscus.Ledger.Money;

namespace Fiscus.Server.Reports;

/// <summary>
/// RFC 4180 CSV for spreadsheets: fields quoted when they hold a comma, quote or line break; text that a
/// spreadsheet would run as a formula (<c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab, CR) is prefixed with <c>'</c>.
/// Money is written in major units with the currency's decimals, whatever the server's culture.
/// </summary>
public sealed class Csv(Currency currency)
{
    readonly StringBuilder text = new();

    public Csv Row(params object?[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }
            text.Append(Field(fields[i]));
        }
        text.Append("\r\n");
        return this;
    }

    /// <summary>An amount of money, for <see cref="Row"/>.</summary>
    public Money Amount(long minor) => Amount(currency.ToMajor(minor));

    /// <summary>An amount already in major units (as a DTO carries it), for <see cref="Row"/>.</summary>
    public Money Amount(decimal major) => new(major.ToString("F" + currency.Exponent, CultureInfo.InvariantCulture));

    public readonly record struct Money(string Formatted);

    string Field(object? value) => value switch
    {
        null => "",
        Money money => money.Formatted,
        long or int or bool => Convert.ToString(value, CultureInfo.InvariantCulture)!.ToLowerInvariant(),
        DateTime time => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        DateTimeOffset time => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        _ => Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    static string Quote(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>The rows written so far (the command line prints them).</summary>
    public override string ToString() => text.ToString();

    public IResult ToResult(string fileName) => new Attachment(Results.Text(text.ToString(), "text/csv; charset=utf-8", Encoding.UTF8), fileName);

    /// <summary>Adds <c>Content-Disposition: attachment</c> so browsers save the report as a file.</summary>
    sealed class Attachment(IResult inner, string fileName) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            return inner.ExecuteAsync(httpContext);
        }
    }

    /// <summary>Whether the request asks for CSV: <c>Accept: text/csv</c> (or <c>?format=csv</c> for a plain link).</summary>
    public static bool Wanted(HttpRequest request) =>
        string.Equals(request.Query["format"], "csv", StringComparison.OrdinalIgnoreCase)
        || request.GetTypedHeaders().Accept.Any(a => string.Equals(a.MediaType.Value, "text/csv", StringComparison.OrdinalIgnoreCase));
}
