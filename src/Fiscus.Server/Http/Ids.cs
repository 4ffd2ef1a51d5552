using System.Globalization;

namespace Fiscus.Server.Http;

internal static class Ids
{
    /// <summary>An id as the audit log's entity id.</summary>
    public static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}
