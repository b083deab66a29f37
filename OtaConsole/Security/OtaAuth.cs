using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;

namespace OtaConsole.Security;

/// <summary>
/// Sign-in for operators: Identity's local accounts on the console's database, a session cookie, and one rule for
/// every endpoint: a signed-in operator, unless the endpoint says who else may call it (devices' signed downloads,
/// the signed API, health checks). Pages redirect to the sign-in page; anything else answers 401.
/// </summary>
public static class OtaAuth
{
    /// <summary>Policies: Operate (Operator or Admin), Administer (Admin), Scrape (/metrics).</summary>
    public const string Operate = "Operate", Administer = "Administer", Scrape = "Scrape";
    public const string LoginPath = "/account/login", LogoutPath = "/account/logout", SetupPath = "/account/setup";

    /// <summary>
    /// Leaves the current page for the sign-in page (a full load: the circuit's session has ended), to come back here.
    /// </summary>
    public static void SendToSignIn(Microsoft.AspNetCore.Components.NavigationManager nav) =>
        nav.NavigateTo($"{LoginPath}?ReturnUrl={Uri.EscapeDataString("/" + nav.ToBaseRelativePath(nav.Uri))}", forceLoad: true);

    public static void AddPolicies(AuthorizationOptions o)
    {
        o.AddPolicy(Operate, p => p.RequireRole(nameof(OperatorRole.Operator), nameof(OperatorRole.Admin)));
        o.AddPolicy(Administer, p => p.RequireRole(nameof(OperatorRole.Admin)));
        o.AddPolicy(Scrape, p => p.RequireAssertion(c => MayReadMetrics(c.User, c.Resource as HttpContext)));
        o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
    }

    public static void AddOtaAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .Validate(o => o.Problem() is null, "Ota:Auth has a value out of range (see the README's configuration table).").ValidateOnStart();
        services.AddHttpContextAccessor();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, OperatorRevalidation>();
        var authentication = services.AddAuthentication(o =>
        {
            o.DefaultScheme = IdentityConstants.ApplicationScheme;
            o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
        });
        authentication.AddIdentityCookies();
        authentication.AddOtaSingleSignOn(builder.Configuration);
        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "OtaConsole.Session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = LoginPath;
            o.AccessDeniedPath = LoginPath;
            o.Events.OnRedirectToLogin = c => Challenge(c.HttpContext, c.RedirectUri, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = c => Challenge(c.HttpContext, c.RedirectUri, StatusCodes.Status403Forbidden);
        });
        // Each request checks the account's security stamp: a disabled account or a changed role ends its session at once.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.Zero);
        services.AddIdentityCore<OperatorAccount>()
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<OtaDbContext>()
            .AddSignInManager<OperatorSignInManager>()
            .AddDefaultTokenProviders();
        services.AddOptions<IdentityOptions>().Configure<IOptions<AuthOptions>>((o, auth) =>
        {
            o.User.RequireUniqueEmail = true;
            o.Password.RequiredLength = 10;
            o.Lockout.AllowedForNewUsers = true;
            o.Lockout.MaxFailedAccessAttempts = auth.Value.MaxFailedSignIns;
            o.Lockout.DefaultLockoutTimeSpan = auth.Value.LockoutFor;
        });
        services.AddAuthorization(AddPolicies);
        services.AddSingleton<OperatorAdmin>();
        services.AddSingleton<FirstAdmin>();
        services.AddHostedService(sp => sp.GetRequiredService<FirstAdmin>());
        services.AddScoped<OperatorSession>();
        services.AddSingleton<OperatorSessionLog>();
    }

    public static void MapOtaAccount(this WebApplication app)
    {
        app.MapOtaSingleSignOn();
        // [FromForm] makes the endpoint check the form's antiforgery token: another site cannot sign an operator out.
        app.MapPost(LogoutPath, async ([Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl, SignInManager<OperatorAccount> signIn, OperatorSessionLog audit, HttpContext context) =>
        {
            await audit.SignedOutAsync(context);
            await signIn.SignOutAsync();
            return Results.LocalRedirect(LoginPath);
        });
    }

    /// <summary>Pages (a browser asking for HTML) go to the sign-in page; scripts, the Blazor hub and downloads get the status.</summary>
    private static Task Challenge(HttpContext context, string redirectUri, int status)
    {
        var request = context.Request;
        var page = HttpMethods.IsGet(request.Method) && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
        if (page && status == StatusCodes.Status401Unauthorized)
            context.Response.Redirect(redirectUri);
        else
            context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    /// <summary>A scrape from this machine, or with the configured bearer token.</summary>
    /// <summary>
    /// Prometheus cannot sign in: a scrape is let in from this machine or with Ota:Ops:MetricsToken as a bearer token.
    /// Of the operators only Admins read them: the figures name every product's running batches.
    /// </summary>
    internal static bool MayReadMetrics(System.Security.Claims.ClaimsPrincipal user, HttpContext? request) =>
        user.IsInRole(nameof(OperatorRole.Admin)) || (request is not null && MayScrape(request));

    internal static bool MayScrape(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote))
            return true;
        var token = context.RequestServices.GetRequiredService<IConfiguration>()["Ota:Ops:MetricsToken"];
        var given = context.Request.Headers.Authorization.ToString();
        return !string.IsNullOrEmpty(token) && given.StartsWith("Bearer ", StringComparison.Ordinal) &&
               CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given["Bearer ".Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }
}
