using Npgsql;

namespace Fiscus.Server.Configuration;

/// <summary>
/// A connection string is checked as the start reads it, so that one Npgsql refuses (<c>Port=5601,5602</c>, a misspelt
/// keyword, <c>Target Session Attributes</c> with one host) stops the start with one line naming the setting, not with a
/// stack trace from the first request's pool. Nothing is connected to here.
/// </summary>
public static class ConnectionSettings
{
    /// <returns><paramref name="value"/>, when Npgsql can build a data source from it.</returns>
    public static string Check(string setting, string value)
    {
        try
        {
            using var source = new NpgsqlDataSourceBuilder(value).Build();
            return value;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException or InvalidOperationException or KeyNotFoundException)
        {
            // Npgsql's messages name the keyword, never the password.
            var reason = (e.InnerException is FormatException inner ? $"{e.Message}: {inner.Message}" : e.Message)
                .Replace(" (Parameter", " (keyword", StringComparison.Ordinal).TrimEnd('.');
            throw new ConfigurationException($"{setting} is not a connection string Npgsql accepts: {reason}. " +
                "(Several hosts are written Host=a:5432,b:5432, each with its port; Target Session Attributes needs more than one.)");
        }
    }
}
