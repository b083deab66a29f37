using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Security;

namespace OtaConsole.Security;

/// <summary>Identity's sign-in, refusing accounts an Admin disabled (password and single sign-on alike).</summary>
public sealed class OperatorSignInManager(
    UserManager<OperatorAccount> users, IHttpContextAccessor http, IUserClaimsPrincipalFactory<OperatorAccount> claims,
    IOptions<IdentityOptions> options, ILogger<SignInManager<OperatorAccount>> log, IAuthenticationSchemeProvider schemes, IUserConfirmation<OperatorAccount> confirmation)
    : SignInManager<OperatorAccount>(users, http, claims, options, log, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(OperatorAccount user) => user.DisabledAt is null && await base.CanSignInAsync(user);
}
