using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OtaConsole.Core;
using OtaConsole.Core.Security;

namespace OtaConsole.Security;

/// <summary>
/// Single sign-on with an OpenID Connect provider (Keycloak, Entra ID, …): authorization code flow with PKCE, the
/// provider's groups or roles mapped to the console's roles at every sign-in, and the account kept in the console's
/// database (linked to the provider's subject) so roles, sessions, revalidation and the audit log work as for local ones.
/// </summary>
public static class SingleSignOn
{
    public const string Scheme = "oidc";
    public const string StartPath = "/account/sso", CallbackPath = "/signin-oidc", DonePath = "/account/sso-done";

    /// <summary>Why a single sign-on was refused, as the sign-in page says it (never text from the request).</summary>
    public static readonly IReadOnlyDictionary<string, string> Refusals = new Dictionary<string, string>
    {
        ["norole"] = "Your account at the provider has no group that gives a role in OtaConsole. Ask an Admin.",
        ["disabled"] = "This account is disabled. Ask an Admin.",
        ["exists"] = "An OtaConsole account with this email exists and is not linked to single sign-on. Ask an Admin.",
        ["failed"] = "Single sign-on did not complete. Try again.",
    };

    public static void AddOtaSingleSignOn(this AuthenticationBuilder auth, IConfiguration configuration)
    {
        var o = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.Oidc ?? new OidcOptions();
        if (!o.Enabled)
            return;
        auth.AddOpenIdConnect(Scheme, o.DisplayName, x =>
        {
            x.Authority = o.Authority;
            x.ClientId = o.ClientId;
            x.ClientSecret = o.ClientSecret;
            x.ResponseType = "code";
            x.ResponseMode = "query";
            x.UsePkce = true;
            x.SignInScheme = IdentityConstants.ExternalScheme;
            x.CallbackPath = CallbackPath;
            // A provider on this machine (a test's, a trial's) may speak plain HTTP; any other must use HTTPS.
            x.RequireHttpsMetadata = !IsLoopback(o.Authority!);
            x.GetClaimsFromUserInfoEndpoint = true;
            x.MapInboundClaims = false;
            x.SaveTokens = false;
            x.Scope.Clear();
            x.Scope.Add("openid");
            foreach (var scope in o.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                x.Scope.Add(scope);
            x.ClaimActions.MapJsonKey(o.RoleClaim, o.RoleClaim);
            x.CorrelationCookie.SameSite = SameSiteMode.Lax;
            x.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            x.NonceCookie.SameSite = SameSiteMode.Lax;
            x.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            x.Events.OnRemoteFailure = c =>
            {
                c.Response.Redirect($"{OtaAuth.LoginPath}?sso=failed");
                c.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    public static void MapOtaSingleSignOn(this WebApplication app)
    {
        app.MapGet(StartPath, (string? returnUrl, IOptions<AuthOptions> options) =>
            options.Value.Oidc.Enabled
                ? Results.Challenge(new AuthenticationProperties { RedirectUri = $"{DonePath}?returnUrl={Uri.EscapeDataString(Components.Account.Login.LocalOnly(returnUrl))}" }, [Scheme])
                : Results.NotFound()).AllowAnonymous().ExcludeFromDescription();

        app.MapGet(DonePath, async (string? returnUrl, HttpContext context, IOptions<AuthOptions> options, OperatorAdmin admin,
            UserManager<OperatorAccount> users, SignInManager<OperatorAccount> signIn, OperatorSessionLog log) =>
        {
            var external = await context.AuthenticateAsync(IdentityConstants.ExternalScheme);
            await context.SignOutAsync(IdentityConstants.ExternalScheme);
            if (!external.Succeeded || external.Principal.FindFirst("sub")?.Value is not { Length: > 0 } subject)
                return Results.LocalRedirect($"{OtaAuth.LoginPath}?sso=failed");
            var o = options.Value.Oidc;
            var email = external.Principal.FindFirst("email")?.Value;
            var role = OperatorDirectory.Highest(external.Principal.FindAll(o.RoleClaim).Select(c => o.RoleMap.GetValueOrDefault(c.Value)));
            try
            {
                var id = await admin.ExternalSignInAsync(Scheme, subject, email, role, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted);
                var account = (await users.FindByIdAsync(id))!;
                await signIn.SignInAsync(account, isPersistent: false, authenticationMethod: Scheme);
                await log.SignedInAsync(account, context, "single sign-on");
                return Results.LocalRedirect(Components.Account.Login.LocalOnly(returnUrl));
            }
            catch (OtaException e)
            {
                var code = e.Kind == OtaErrorKind.Conflict ? "exists" : role is null ? "norole" : "disabled";
                await log.RefusedAsync(email ?? subject, null, $"single sign-on: {code}", context);
                return Results.LocalRedirect($"{OtaAuth.LoginPath}?sso={code}");
            }
        }).AllowAnonymous().ExcludeFromDescription();
    }

    private static bool IsLoopback(string authority) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri) && (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
}
