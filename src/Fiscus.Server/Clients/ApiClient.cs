namespace Fiscus.Server.Clients;

/// <summary>An API client (kiosk, payment gateway, integration) as stored.</summary>
public sealed record ApiClient
{
    public long ApiClientId { get; init; }
    public Guid ClientUuid { get; init; }
    public required string ClientId { get; init; }
    public required byte[] SecretHash { get; init; }
    public required string Name { get; init; }
    public required string[] Scopes { get; init; }
    public int? CashRegisterId { get; init; }
    public string? LibraryId { get; init; }
    public DateTime? DisabledAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    public DateTime SecretRotatedAt { get; init; }

    public const string Columns =
        "api_client_id, client_uuid, client_id, secret_hash, name, scopes, cash_register_id, library_id, disabled_at, " +
        "created_at, updated_at, secret_rotated_at";
}

/// <summary>An API client on the wire. <c>client_secret</c> is only present in the answer that created it.</summary>
public sealed record ApiClientDto(
    string ClientId,
    Guid ClientUuid,
    string Name,
    string[] Scopes,
    int? CashRegisterId,
    string? LibraryId,
    bool Disabled,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime SecretRotatedAt)
{
    public static ApiClientDto From(ApiClient client) => new(
        client.ClientId, client.ClientUuid, client.Name, client.Scopes, client.CashRegisterId, client.LibraryId,
        client.DisabledAt is not null, client.CreatedAt, client.UpdatedAt, client.SecretRotatedAt);
}

/// <summary>The one answer that carries a client's secret (creation and rotation); it is never shown again.</summary>
public sealed record ApiClientWithSecretDto(
    string ClientId,
    Guid ClientUuid,
    string Name,
    string[] Scopes,
    int? CashRegisterId,
    string? LibraryId,
    bool Disabled,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime SecretRotatedAt,
    string ClientSecret)
{
    public static ApiClientWithSecretDto From(ApiClient client, string secret) => new(
        client.ClientId, client.ClientUuid, client.Name, client.Scopes, client.CashRegisterId, client.LibraryId,
        client.DisabledAt is not null, client.CreatedAt, client.UpdatedAt, client.SecretRotatedAt, secret);
}
