namespace OtaConsole.Core.Model;

/// <summary>
/// An API access key an Admin made in the console. Its secret is kept encrypted (ASP.NET Core Data Protection, with
/// keys outside the database file): the console must read it back to check signatures, so it cannot be a hash.
/// </summary>
public sealed class ApiKeyRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public Api.ApiRole Role { get; init; }
    public required string ProtectedSecret { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>The products the key's scripts work on (comma-separated); null: every product.</summary>
    public string? ProductScope { get; init; }
}
