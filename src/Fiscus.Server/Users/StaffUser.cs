namespace Fiscus.Server.Users;

/// <summary>A staff user as stored (the password hash never leaves the server).</summary>
public sealed record StaffUser
{
    public long UserId { get; init; }
    public Guid UserUuid { get; init; }
    public required string Username { get; init; }
    public required string PasswordHash { get; init; }
    public required string Role { get; init; }
    public string? LibraryId { get; init; }
    public DateTime? DisabledAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    public const string Columns =
        "user_id, user_uuid, username, password_hash, role, library_id, disabled_at, created_at, updated_at";
}

/// <summary>A staff user on the wire.</summary>
public sealed record StaffUserDto(
    long UserId, Guid UserUuid, string Username, string Role, string? LibraryId, bool Disabled, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static StaffUserDto From(StaffUser user) => new(
        user.UserId, user.UserUuid, user.Username, user.Role, user.LibraryId, user.DisabledAt is not null, user.CreatedAt, user.UpdatedAt);
}
