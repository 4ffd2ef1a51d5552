namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>FOLIO's answers as its clients read them: JSON valid against FOLIO's own schemas, or text/plain.</summary>
public static class FolioAnswers
{
    public static async Task<(JsonNode Body, string Text)> JsonAsync(HttpResponseMessage response, HttpStatusCode status, string schema)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        await FolioSchemas.AssertValidAsync(schema, text);
        return (JsonNode.Parse(text)!, text);
    }

    public static async Task<string> TextAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return text;
    }
}
