using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bunit;
using Fiscus.Staff.Components;
using Fiscus.Staff.Services;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Staff.Tests.Components;

/// <summary>
/// Ending a shift: the count by denomination against what the drawer should hold, the difference before confirming,
/// one key press never ends it, and a lost answer is asked again with the same idempotency key.
/// </summary>
public sealed class ShiftEndFormTests : BunitContext
{
    static readonly CashierShift Open = new(Guid.NewGuid(), Guid.NewGuid(), StartCash: 10000, Status: "open", StartTime: DateTime.UtcNow,
        CashRegisterId: 1, ExpectedCash: 9700, CashOut: 500, CashPayments: 200);

    /// <summary>The API as this form sees it: who is signed in, the installation, and the answers to the end of the shift.</summary>
    sealed class FakeApi(Queue<HttpStatusCode> endAnswers) : HttpMessageHandler
    {
        public List<(string Path, string? Key, JsonNode? Body)> Ends { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            string json;
            var status = HttpStatusCode.OK;
            if (path.EndsWith("/auth/me", StringComparison.Ordinal))
            {
                json = """{"kind":"user","user_id":7,"name":"maya","role":"manager","scopes":["shifts:write"],"library_id":"MAIN"}""";
            }
            else if (path.EndsWith("/installation", StringComparison.Ordinal))
            {
                json = """{"currency":{"code":"USD","exponent":2},"denominations":[{"value":50,"kind":"note"},{"value":20,"kind":"note"},{"value":1,"kind":"note"}]}""";
            }
            else
            {
                Ends.Add((path, request.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.Single() : null,
                    JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))));
                status = endAnswers.Count > 0 ? endAnswers.Dequeue() : HttpStatusCode.OK;
                json = status switch
                {
                    HttpStatusCode.OK => $$$"""{"message":"Shift ended successfully","data":{"id":"{{{Open.Id}}}","user_id":"{{{Open.UserId}}}","start_cash":10000,"status":"closed","start_time":"2026-11-28T08:00:00Z","cash_register_id":1,"end_time":"2026-11-28T18:00:00Z","expected_cash_end":9700,"actual_cash_end":9600,"difference":-100}}""",
                    HttpStatusCode.Unauthorized => """{"message":"Invalid password.","error":"invalid_password","data":null}""",
                    _ => """{"message":"The database is unavailable.","error":"database_unavailable","data":null}""",
                };
            }
            return new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }
    }

    async Task<(IRenderedComponent<ShiftEndForm> Form, FakeApi Api, List<CashierShift> Ended, bool[] SessionEnded)> RenderAsync(params HttpStatusCode[] answers)
    {
        var handler = new FakeApi(new Queue<HttpStatusCode>(answers));
        var api = new FiscusApi(new HttpClient(handler) { BaseAddress = new Uri("http://fiscus.test/") });
        var sessionEnded = new[] { false };
        api.SessionEnded += () => sessionEnded[0] = true;
        var session = new StaffSession(api);
        await session.LoadAsync();
        Services.AddSingleton(api);
        Services.AddSingleton(session);
        Services.AddSingleton(new ConfirmedWrites(api, new BrowserStorage(JSInterop.JSRuntime), session));
        var ended = new List<CashierShift>();
        var form = Render<ShiftEndForm>(p => p
            .Add(c => c.Shift, Open)
            .Add(c => c.RegisterName, "Main desk")
            .Add(c => c.Path, "api/v1/shifts/end")
            .Add(c => c.Completed, (CashierShift s) => ended.Add(s)));
        return (form, handler, ended, sessionEnded);
    }

    /// <summary>The password, Enter to review, Enter to confirm: the keyboard's way to end a shift.</summary>
    static void EndWith(IRenderedComponent<ShiftEndForm> form, string password)
    {
        form.Find("#end-password").Input(password);
        form.Find("#end-password").KeyDown("Enter");
        form.Find("[role=alertdialog]").KeyDown("Enter");
    }

    [Fact]
    public async Task The_difference_follows_the_count_and_shows_before_confirming()
    {
        var (form, api, ended, _) = await RenderAsync();
        Assert.Equal("$97.00", form.Find("[data-testid=end-expected]").TextContent);
        Assert.Equal("not counted yet", form.Find("[data-testid=end-difference]").TextContent);
        form.Find("#end-d0").Input("1");
        form.Find("#end-d1").Input("2");
        form.Find("#end-d2").Input("7");
        Assert.Equal("balanced", form.Find("[data-testid=end-difference]").TextContent);
        form.Find("#end-d2").Input("8");
        Assert.Equal("surplus $1.00", form.Find("[data-testid=end-difference]").TextContent);
        form.Find("#end-d2").Input("6");
        Assert.Equal("deficit $1.00", form.Find("[data-testid=end-difference]").TextContent);

        // No password: said next to the field, nothing sent.
        form.Find("button.primary").Click();
        Assert.Contains("Enter your password: ending a shift asks for it again.", form.Markup);
        form.Find("#end-password").Input("secret");
        form.Find("#end-password").KeyDown("Enter");
        var dialog = form.Find("[role=alertdialog]");
        Assert.Contains("End the shift at Main desk: counted $96.00, expected $97.00, deficit $1.00", dialog.TextContent);
        Assert.Empty(api.Ends);

        // Escape backs out; the next review and Enter end it, with the count in minor units.
        dialog.KeyDown("Escape");
        Assert.Empty(form.FindAll("[role=alertdialog]"));
        form.Find("button.primary").Click();
        form.Find("[role=alertdialog]").KeyDown("Enter");
        form.WaitForAssertion(() => Assert.Single(ended));
        var (path, key, body) = Assert.Single(api.Ends);
        Assert.Equal("/api/v1/shifts/end", path);
        Assert.NotNull(key);
        Assert.Equal((9600L, "secret"), (body!["actual_cash_end"]!.GetValue<long>(), body["password"]!.GetValue<string>()));
        Assert.Equal(-100, ended[0].Difference);
    }

    [Fact]
    public async Task A_wrong_password_is_said_by_its_field_and_keeps_the_session()
    {
        var (form, api, ended, sessionEnded) = await RenderAsync(HttpStatusCode.Unauthorized);
        EndWith(form, "wrong");
        form.WaitForAssertion(() => Assert.Contains("That is not your password.", form.Markup));
        Assert.False(sessionEnded[0]);
        Assert.Empty(ended);

        // Corrected, it is a new request with a new key.
        EndWith(form, "right");
        form.WaitForAssertion(() => Assert.Single(ended));
        Assert.Equal(2, api.Ends.Count);
        Assert.NotEqual(api.Ends[0].Key, api.Ends[1].Key);
    }

    [Fact]
    public async Task A_lost_answer_is_asked_again_with_the_same_key()
    {
        var (form, api, ended, _) = await RenderAsync(HttpStatusCode.ServiceUnavailable);
        EndWith(form, "secret");
        form.WaitForAssertion(() => Assert.Single(ended), TimeSpan.FromSeconds(10));
        Assert.Equal(2, api.Ends.Count);
        Assert.Equal(api.Ends[0].Key, api.Ends[1].Key);
    }
}
