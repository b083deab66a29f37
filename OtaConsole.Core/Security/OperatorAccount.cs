using Microsoft.AspNetCore.Identity;

namespace OtaConsole.Core.Security;

/// <summary>
/// An operator's account (ASP.NET Core Identity on the console's own database). Its role is one of Identity's roles,
/// named as <see cref="OperatorRole"/>. A disabled account is locked out for good and loses its open pages.
/// </summary>
public sealed class OperatorAccount : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Set when an Admin disables the account; sign-in is refused and open pages close.</summary>
    public DateTimeOffset? DisabledAt { get; set; }
    /// <summary>Created by single sign-on: it has no password, and its role follows the provider's claims.</summary>
    public string? ExternalProvider { get; set; }
    /// <summary>The products a Viewer or Operator works on (product keys, comma-separated); null: every product. Admins are never scoped.</summary>
    public string? ProductScope { get; set; }
}
