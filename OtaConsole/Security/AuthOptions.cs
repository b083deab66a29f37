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

    public string? Problem() =>
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
