namespace OtaConsole.Security;

/// <summary>Ota:Auth: how operators sign in.</summary>
public sealed class AuthOptions
{
    public const string Section = "Ota:Auth";

    /// <summary>Created at start when no operator exists yet (for scripts and containers); set through environment variables.</summary>
    public InitialAdminOptions InitialAdmin { get; set; } = new();

    /// <summary>How often an open page checks that its operator still exists, is enabled and keeps their role.</summary>
    public TimeSpan RevalidateEvery { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Failed password sign-ins before an account is locked out, and for how long.</summary>
    public int MaxFailedSignIns { get; set; } = 5;
    public TimeSpan LockoutFor { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Password sign-in with accounts kept by the console; off when single sign-on is the only way in.</summary>
    public bool LocalAccounts { get; set; } = true;

    /// <summary>Single sign-on with an OpenID Connect provider (authorization code flow with PKCE); off without an Authority.</summary>
    public OidcOptions Oidc { get; set; } = new();

    public string? Problem() =>
        !LocalAccounts && !Oidc.Enabled ? "Ota:Auth:LocalAccounts is false but Ota:Auth:Oidc:Authority is not set: nobody could sign in." :
        RevalidateEvery < TimeSpan.FromSeconds(1) || RevalidateEvery > TimeSpan.FromHours(1) ? "Ota:Auth:RevalidateEvery is 00:00:01 to 01:00:00."
        : MaxFailedSignIns is < 1 or > 100 ? "Ota:Auth:MaxFailedSignIns is 1 to 100."
        : LockoutFor < TimeSpan.FromSeconds(1) ? "Ota:Auth:LockoutFor is at least 00:00:01."
        : null;
}

public sealed class InitialAdminOptions
{
    public string? Email { get; set; }
    public string? Password { get; set; }
}

public sealed class OidcOptions
{
    /// <summary>The provider's issuer URL (its /.well-known/openid-configuration is read from there).</summary>
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>The scopes asked for, besides openid: what makes the provider send the email and the role claim.</summary>
    public string Scopes { get; set; } = "profile email";
    /// <summary>The claim that carries the provider's groups or roles ("groups", "roles", …).</summary>
    public string RoleClaim { get; set; } = "roles";
    /// <summary>A provider group or role → Viewer, Operator or Admin. An account with none of them is refused.</summary>
    public Dictionary<string, string> RoleMap { get; set; } = [];
    /// <summary>The button's words on the sign-in page.</summary>
    public string DisplayName { get; set; } = "Single sign-on";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
