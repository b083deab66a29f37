using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using OtaConsole.Core.Security;

namespace OtaConsole.Security;

/// <summary>
/// The operator of one browser page (a circuit) as the core's actor, read afresh from the database for each
/// command: a role revoked or an account disabled a moment ago already counts.
/// </summary>
public sealed class OperatorSession(AuthenticationStateProvider auth, OperatorDirectory directory, IHttpContextAccessor http)
{
    // The page's address, taken when the circuit's services are created (the connection's request is current then).
    private readonly string? _address = http.HttpContext?.Connection.RemoteIpAddress?.ToString();

    /// <summary>Null when nobody is signed in, or the account is gone, disabled or without a role.</summary>
    public async Task<Actor?> ActorAsync(CancellationToken ct = default)
    {
        var user = (await auth.GetAuthenticationStateAsync()).User;
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier);
        return id is null ? null : await directory.ActorAsync(id, _address, ct);
    }
}

/// <summary>The operator of an HTTP request (the CSV exports), as the core's actor.</summary>
public static class RequestActor
{
    /// <summary>Null when nobody is signed in, or the account is gone, disabled or without a role.</summary>
    public static async Task<Actor?> ActorAsync(this HttpContext context, OperatorDirectory directory, CancellationToken ct = default)
    {
        var id = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        return id is null ? null : await directory.ActorAsync(id, context.Connection.RemoteIpAddress?.ToString(), ct);
    }
}
