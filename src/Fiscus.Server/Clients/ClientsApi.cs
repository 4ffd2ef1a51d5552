using Fiscus.Ledger.Access;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Fiscus.Server.Clients;

public sealed record ClientRequest(string Name, string[] Scopes, int? CashRegisterId = null, string? LibraryId = null);

/// <summary>
/// <c>/api/v1/clients</c> (admin): API clients for kiosks, payment gateways and integrations, with the same
/// rules as <c>fiscus client ...</c>. The secret is shown only in the answer that creates or rotates it.
/// </summary>
public static class ClientsApi
{
    public static RouteGroupBuilder MapClients(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/clients").WithTags("API clients").RequireAuthorization(Scopes.ClientsWrite);
        group.MapGet("/", ListAsync).WithName("listClients").WithSummary("List API clients").WithKohaList(KohaList.PagingOnly);
        group.MapGet("/{client_id}", GetAsync).WithName("getClient").WithSummary("Get an API client");
        group.MapPost("/", CreateAsync).WithName("addClient").WithSummary("Add an API client (its secret is returned once)");
        group.MapPut("/{client_id}", UpdateAsync).WithName("updateClient").WithSummary("Change a client's name, scopes or binding");
        group.MapPost("/{client_id}/disable", (string client_id, Caller caller, HttpContext http, ApiClients clients, CancellationToken ct) =>
                SetDisabledAsync(client_id, true, caller, http, clients, ct))
            .WithName("disableClient").WithSummary("Disable a client (revokes its tokens)");
        group.MapPost("/{client_id}/enable", (string client_id, Caller caller, HttpContext http, ApiClients clients, CancellationToken ct) =>
                SetDisabledAsync(client_id, false, caller, http, clients, ct))
            .WithName("enableClient").WithSummary("Re-enable a disabled client");
        group.MapPost("/{client_id}/secret", RotateSecretAsync)
            .WithName("rotateClientSecret").WithSummary("Issue a new secret (returned once) and revoke the client's tokens");
        return group;
    }

    static async Task<Ok<ApiClientDto[]>> ListAsync(Paging paging, HttpContext http, ApiClients clients, CancellationToken cancellationToken) =>
        TypedResults.Ok(await paging.ServeAsync(http, clients.ListAsync, ApiClientDto.From, cancellationToken));

    static async Task<Results<Ok<ApiClientDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "client_id")] string clientId, ApiClients clients, CancellationToken cancellationToken) =>
        await clients.FindAsync(clientId, cancellationToken) is { } client
            ? TypedResults.Ok(ApiClientDto.From(client))
            : ApiProblems.NotFound("client_not_found", $"There is no API client '{clientId}'.");

    static async Task<Results<Created<ApiClientWithSecretDto>, ProblemHttpResult>> CreateAsync(
        ClientRequest request, Caller caller, HttpContext http, ApiClients clients, CancellationToken cancellationToken)
    {
        var outcome = await clients.CreateAsync(
            new ApiClients.ClientSpec(request.Name, request.Scopes, request.CashRegisterId, request.LibraryId),
            AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/clients/{outcome.Value.Client.ClientId}",
                ApiClientWithSecretDto.From(outcome.Value.Client, outcome.Value.Secret))
            : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<ApiClientDto>, ProblemHttpResult>> UpdateAsync(
        [FromRoute(Name = "client_id")] string clientId, ClientRequest request, Caller caller, HttpContext http, ApiClients clients,
        CancellationToken cancellationToken)
    {
        var outcome = await clients.UpdateAsync(clientId,
            new ApiClients.ClientSpec(request.Name, request.Scopes, request.CashRegisterId, request.LibraryId),
            AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(ApiClientDto.From(outcome.Value!)) : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<ApiClientDto>, ProblemHttpResult>> SetDisabledAsync(
        string clientId, bool disabled, Caller caller, HttpContext http, ApiClients clients, CancellationToken cancellationToken)
    {
        var outcome = await clients.SetDisabledAsync(clientId, disabled, AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(ApiClientDto.From(outcome.Value!)) : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<ApiClientWithSecretDto>, ProblemHttpResult>> RotateSecretAsync(
        [FromRoute(Name = "client_id")] string clientId, Caller caller, HttpContext http, ApiClients clients,
        CancellationToken cancellationToken)
    {
        var outcome = await clients.RotateSecretAsync(clientId, AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Ok(ApiClientWithSecretDto.From(outcome.Value.Client, outcome.Value.Secret))
            : ApiProblems.From(outcome.Failure!);
    }
}
