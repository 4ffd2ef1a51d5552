using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Fiscus.Server.Tests.Infrastructure;

public static class Json
{
    /// <summary>
    /// A JSON body written exactly as given: anonymous objects name their properties the way the wire does
    /// (<c>new { library_id = "X" }</c>), so tests state the real field names.
    /// </summary>
    public static StringContent Body(object value) => Raw(JsonSerializer.Serialize(value));

    public static StringContent Raw(string json)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>Reads the body, failing with the body in the message when the status is not the expected one.</summary>
    public static async Task<JsonNode> ExpectAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>Expects a problem+json answer with this status and code; returns it.</summary>
    public static async Task<JsonNode> ExpectProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.ExpectAsync(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, body["code"]?.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["error"]?.GetValue<string>()), "a problem must carry a human message in 'error'");
        return body;
    }
}
