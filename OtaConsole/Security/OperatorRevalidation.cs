using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Security;

namespace OtaConsole.Security;

/// <summary>
/// An open page re-checks its operator every Ota:Auth:RevalidateEvery: an account that is gone or disabled, or whose
/// security stamp changed (a new role, a new password), loses the page, which then sends the browser to sign in.
/// </summary>
internal sealed class OperatorRevalidation(ILoggerFactory logs, IServiceScopeFactory scopes, IOptions<IdentityOptions> identity, IOptions<AuthOptions> options)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => options.Value.RevalidateEvery;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<OperatorAccount>>();
        var user = await users.GetUserAsync(state.User);
        if (user is null || user.DisabledAt is not null)
            return false;
        var stamp = state.User.FindFirst(identity.Value.ClaimsIdentity.SecurityStampClaimType)?.Value;
        return stamp == await users.GetSecurityStampAsync(user);
    }
}
