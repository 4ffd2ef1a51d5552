using System.Globalization;

namespace Fiscus.Server.Http;

/// <summary>
/// Koha's list convention: <c>_page</c> (from 1) and <c>_per_page</c> (default 20, at most 1000; -1 asks
/// for everything, served up to 1000 rows) in the query; the answer carries <c>X-Total-Count</c>,
/// <c>X-Base-Total-Count</c> (the rows before the request's own filters, which Koha's tables show as "filtered from")
/// and a <c>Link</c> header with first/prev/next/last. On an endpoint that declares a <see cref="KohaList"/>, binding
/// also refuses the query parameters the list does not accept.
/// </summary>
public sealed record Paging(int Page, int PerPage)
{
    public const int DefaultPerPage = 20;
    public const int MaxPerPage = 1000;

    /// <summary>Koha's request sequence number (an integer), echoed on the answer.</summary>
    public const string RequestIdHeader = "x-koha-request-id";

    /// <summary>A long: page 2147483647 of 1000 is past every row, not an overflow.</summary>
    public long Offset => (long)(Page - 1) * PerPage;

    public static ValueTask<Paging> BindAsync(HttpContext context)
    {
        KohaList.RefuseUnknownParameters(context);
        return ValueTask.FromResult(Read(context));
    }

    internal static Paging Read(HttpContext context)
    {
        var page = Parse(context, "_page", 1);
        if (page < 1)
        {
            throw new BadHttpRequestException("_page must be 1 or more.");
        }
        var perPage = Parse(context, "_per_page", DefaultPerPage);
        if (perPage == -1)
        {
            perPage = MaxPerPage;
        }
        if (perPage < 1 || perPage > MaxPerPage)
        {
            throw new BadHttpRequestException($"_per_page must be from 1 to {MaxPerPage} (or -1).");
        }
        return new Paging(page, perPage);
    }

    /// <summary>
    /// One page of an admin list without filters (users, API clients, SIP logins): the store's rows for this page, on the
    /// wire, with the paging headers.
    /// </summary>
    public async Task<TDto[]> ServeAsync<TRow, TDto>(
        HttpContext context, Func<long, int, CancellationToken, Task<(IReadOnlyList<TRow> Rows, long Total)>> page, Func<TRow, TDto> toWire,
        CancellationToken cancellationToken)
    {
        var (rows, total) = await page(Offset, PerPage, cancellationToken);
        WriteHeaders(context, total);
        return rows.Select(toWire).ToArray();
    }

    /// <summary>Writes X-Total-Count, X-Base-Total-Count and Link for a page of <paramref name="total"/> rows.</summary>
    /// <param name="baseTotal">The rows before the request's filters (q, field filters); the total where it has none.</param>
    public void WriteHeaders(HttpContext context, long total, long? baseTotal = null)
    {
        context.Response.Headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["X-Base-Total-Count"] = (baseTotal ?? total).ToString(CultureInfo.InvariantCulture);
        // Koha's tables number their requests (DataTables' draw) and match answers to them by this header.
        if (long.TryParse(context.Request.Headers[RequestIdHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var requestId))
        {
            context.Response.Headers[RequestIdHeader] = requestId.ToString(CultureInfo.InvariantCulture);
        }
        var last = Math.Max(1, (int)((total + PerPage - 1) / PerPage));
        var links = new List<string> { Link(context, 1, "first") };
        if (Page > 1)
        {
            links.Add(Link(context, Math.Min(Page - 1, last), "prev"));
        }
        if (Page < last)
        {
            links.Add(Link(context, Page + 1, "next"));
        }
        links.Add(Link(context, last, "last"));
        context.Response.Headers.Link = string.Join(", ", links);
    }

    string Link(HttpContext context, int page, string rel)
    {
        var query = context.Request.Query
            .Where(q => q.Key is not ("_page" or "_per_page"))
            .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"))
            .Append($"_page={page}")
            .Append($"_per_page={PerPage}");
        return $"<{context.Request.PathBase}{context.Request.Path}?{string.Join('&', query)}>; rel=\"{rel}\"";
    }

    static int Parse(HttpContext context, string name, int fallback)
    {
        var raw = context.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return fallback;
        }
        return int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BadHttpRequestException($"{name} must be a whole number, not '{raw}'.");
    }
}
