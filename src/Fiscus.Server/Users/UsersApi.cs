using Fiscus.Ledger.Access;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Fiscus.Server.Users;

/// <summary>Leave <c>password</c> out to have a random one generated and returned once (<see cref="CreatedUserWithPasswordDto"/>).</summary>
public sealed record CreateUserRequest(string Username, string Role, string? Password = null, string? LibraryId = null);

/// <summary>The answer to creating a user whose password Fiscus generated: the user, and the password, this once.</summary>
public sealed record CreatedUserWithPasswordDto(
    long UserId, Guid UserUuid, string Username, string Role, string? LibraryId, bool Disabled, DateTime CreatedAt, DateTime UpdatedAt,
    string Password)
{
    public static CreatedUserWithPasswordDto From(StaffUser user, string password) => new(
        user.UserId, user.UserUuid, user.Username, user.Role, user.LibraryId, user.DisabledAt is not null, user.CreatedAt, user.UpdatedAt,
        password);
}

public sealed record UpdateUserRequest(string Role, string? LibraryId = null);

/// <summary>Leave <c>password</c> out to have a random one generated and returned once.</summary>
public sealed record ResetPasswordRequest(string? Password = null);

public sealed record PasswordResetDto(long UserId, string Username, string Password);

/// <summary><c>/api/v1/users</c> (admin): staff users, with the same rules as <c>fiscus user ...</c>.</summary>
public static class UsersApi
{
    public static RouteGroupBuilder MapUsers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization(Scopes.UsersWrite);
        group.MapGet("/", ListAsync).WithName("listUsers").WithSummary("List staff users").WithKohaList(KohaList.PagingOnly);
        group.MapGet("/{user_id:long}", GetAsync).WithName("getUser").WithSummary("Get a staff user");
        group.MapPost("/", CreateAsync).WithName("addUser").WithSummary("Add a staff user (password left out: one is generated and returned once)");
        group.MapPut("/{user_id:long}", UpdateAsync).WithName("updateUser").WithSummary("Change a user's role or home library");
        group.MapPost("/{user_id:long}/disable", (long user_id, Caller caller, HttpContext http, StaffUsers users, CancellationToken ct) =>
                SetDisabledAsync(user_id, true, caller, http, users, ct))
            .WithName("disableUser").WithSummary("Disable a user (revokes their sessions)");
        group.MapPost("/{user_id:long}/enable", (long user_id, Caller caller, HttpContext http, StaffUsers users, CancellationToken ct) =>
                SetDisabledAsync(user_id, false, caller, http, users, ct))
            .WithName("enableUser").WithSummary("Re-enable a disabled user");
        group.MapPost("/{user_id:long}/password", ResetPasswordAsync)
            .WithName("resetUserPassword").WithSummary("Set or generate a new password (revokes the user's sessions)");
        return group;
    }

    static async Task<Ok<StaffUserDto[]>> ListAsync(Paging paging, HttpContext http, StaffUsers users, CancellationToken cancellationToken) =>
        TypedResults.Ok(await paging.ServeAsync(http, users.ListAsync, StaffUserDto.From, cancellationToken));

    static async Task<Results<Ok<StaffUserDto>, ProblemHttpResult>> GetAsync(
        [FromRoute(Name = "user_id")] long userId, StaffUsers users, CancellationToken cancellationToken) =>
        await users.FindAsync(userId, cancellationToken) is { } user
            ? TypedResults.Ok(StaffUserDto.From(user))
            : ApiProblems.NotFound("user_not_found", $"There is no user {userId}.");

    static async Task<Results<Created<StaffUserDto>, Created<CreatedUserWithPasswordDto>, ProblemHttpResult>> CreateAsync(
        CreateUserRequest request, Caller caller, HttpContext http, StaffUsers users, CancellationToken cancellationToken)
    {
        var outcome = await users.CreateAsync(
            new StaffUsers.NewUser(request.Username, request.Password, request.Role, request.LibraryId), AuditActors.From(caller, http),
            cancellationToken);
        if (!outcome.Succeeded)
        {
            return ApiProblems.From(outcome.Failure!);
        }
        var (user, generated) = outcome.Value;
        var location = $"/api/v1/users/{user.UserId}";
        return generated is null
            ? TypedResults.Created(location, StaffUserDto.From(user))
            : TypedResults.Created(location, CreatedUserWithPasswordDto.From(user, generated));
    }

    static async Task<Results<Ok<StaffUserDto>, ProblemHttpResult>> UpdateAsync(
        [FromRoute(Name = "user_id")] long userId, UpdateUserRequest request, Caller caller, HttpContext http, StaffUsers users,
        CancellationToken cancellationToken)
    {
        var outcome = await users.UpdateAsync(userId, request.Role, request.LibraryId, AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(StaffUserDto.From(outcome.Value!)) : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<StaffUserDto>, ProblemHttpResult>> SetDisabledAsync(
        long userId, bool disabled, Caller caller, HttpContext http, StaffUsers users, CancellationToken cancellationToken)
    {
        var outcome = await users.SetDisabledAsync(userId, disabled, AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(StaffUserDto.From(outcome.Value!)) : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<PasswordResetDto>, ProblemHttpResult>> ResetPasswordAsync(
        [FromRoute(Name = "user_id")] long userId, ResetPasswordRequest? request, Caller caller, HttpContext http, StaffUsers users,
        CancellationToken cancellationToken)
    {
        var outcome = await users.SetPasswordAsync(userId, request?.Password, AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Ok(new PasswordResetDto(outcome.Value.User.UserId, outcome.Value.User.Username, outcome.Value.Password))
            : ApiProblems.From(outcome.Failure!);
    }
}
