using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using OtaConsole.Components.Shared;
using OtaConsole.Core;
using OtaConsole.Core.Analytics;
using OtaConsole.Core.Api;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Queries;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Console;

/// <summary>
/// bUnit set up once for every console test: MudBlazor, and the real core services on a real SQLite file
/// with fake time (from <see cref="EngineHarness"/>), so a page shows what the engine really holds.
/// </summary>
public abstract class ConsoleTestContext : BunitContext
{
    protected ConsoleTestContext()
    {
        H = new EngineHarness();
        JSInterop.Mode = JSRuntimeMode.Loose;
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        Services.AddMudServices();
        Services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        Services.AddSingleton<TimeProvider>(H.Time);
        Services.AddSingleton(H.Feed);
        Services.AddSingleton(H.Engine);
        Services.AddSingleton(H.Catalog);
        Services.AddSingleton(H.Packages);
        Services.AddSingleton(H.Files);
        Services.AddSingleton(new BatchQueries(H.Database));
        Services.AddSingleton(new PackageQueries(H.Database));
        Services.AddSingleton(new DeviceQueries(H.Database));
        Services.AddSingleton(new OverviewQueries(H.Database));
        Services.AddSingleton(new PaceQueries(H.Database, H.Time));
        Services.AddSingleton(new AnalyticsService(H.Database));
        Services.AddSingleton(new DownloadLinks(Options.Create(new DownloadOptions { PublicBaseUrl = "http://console.test" }), Options.Create(new OtaOptions { DataDirectory = H.Database.Folder }), H.Time));
        // Live pages re-render on every change in tests; the throttle has its own test.
        Services.AddSingleton(new LiveUpdates(H.Feed, H.Time, Options.Create(new LiveOptions { MinimumInterval = TimeSpan.Zero, CostlyMinimumInterval = TimeSpan.Zero })));
        Services.AddScoped<Operator>();
        // Sign-in as the console has it: the real policies, an operator account in the database (an Operator
        // unless a test signs in as another role), the operator re-read from the database for each action.
        SignIn = new TestSignIn(H.Database);
        // bUnit supplies placeholders that refuse to decide: the console's own authorization decides here.
        Services.RemoveAll<IAuthorizationService>();
        Services.RemoveAll<IAuthorizationPolicyProvider>();
        Services.AddAuthorizationCore(OtaAuth.AddPolicies);
        Services.AddCascadingAuthenticationState();
        Services.AddSingleton<AuthenticationStateProvider>(SignIn);
        Services.AddSingleton<IHttpContextAccessor>(new HttpContextAccessor());
        Services.AddSingleton(new OperatorDirectory(H.Database, H.Time));
        Services.AddScoped<OperatorSession>();
        Services.AddSingleton(new AuditQueries(H.Database));
        SignIn.As(OperatorRole.Operator);
        Services.AddSingleton(new ApiAccess(ApiOptions, H.Time));
        Dispatcher = new OtaConsole.Core.Webhooks.WebhookDispatcher(H.Database, H.Time, H.Secrets, Options.Create(new OtaConsole.Core.Webhooks.WebhookOptions()),
            Options.Create(new RolloutOptions()), Microsoft.Extensions.Logging.Abstractions.NullLogger<OtaConsole.Core.Webhooks.WebhookDispatcher>.Instance);
        Services.AddSingleton(new OtaConsole.Core.Webhooks.WebhookService(H.Database, H.Time, H.Secrets, H.Audited, Dispatcher));
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    protected EngineHarness H { get; }
    protected OtaConsole.Core.Webhooks.WebhookDispatcher Dispatcher { get; }
    protected TestSignIn SignIn { get; }

    /// <summary>The API's access keys as the API page sees them; a test sets them before it renders.</summary>
    protected SettableOptions<ApiOptions> ApiOptions { get; } = new(new ApiOptions());

    /// <summary>Renders a component inside the providers a page has in the console.</summary>
    protected IRenderedComponent<TestHost> RenderInHost<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null) where T : Microsoft.AspNetCore.Components.IComponent =>
        Render<TestHost>(p => p.Add(h => h.Time, Zone).AddChildContent<T>(parameters ?? (_ => { })));

    /// <summary>The operator's time zone the page is shown in (the browser's, in the console).</summary>
    protected OtaConsole.Components.Shared.OperatorTime Zone { get; set; } = OtaConsole.Components.Shared.OperatorTime.Utc;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Dispatcher.Dispose();
            H.Dispose();
        }
    }
}

/// <summary>Options a test can change between renders.</summary>
public sealed class SettableOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue { get; set; } = value;
    public T Get(string? name) => CurrentValue;
    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
