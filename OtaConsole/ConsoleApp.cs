using Microsoft.AspNetCore.DataProtection;
using MudBlazor.Services;
using OtaConsole.Components;
using OtaConsole.Components.Shared;
using OtaConsole.Core;
using OtaConsole.Core.Api;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Persistence;
using OtaConsole.Demo;
using OtaConsole.Endpoints;
using OtaConsole.Security;

namespace OtaConsole;

/// <summary>Builds the console: pages, the core engine, the device bridge, downloads, the demo fleet.</summary>
public static class ConsoleApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(TranslateFlags(args));
        RootSettings.Add(builder.Configuration, builder.Environment);
        DownloadEndpoints.AddLegacyListener(builder);

        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        // Messages bottom right, where they do not cover a page's actions.
        // Snackbars at the top centre, over the app bar's empty middle: never over a dialog's buttons or a form's Save.
        builder.Services.AddMudServices(c => c.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.TopCenter);
        builder.Services.AddOptions<LiveOptions>().BindConfiguration("Ota:Console");
        builder.Services.AddSingleton<LiveUpdates>();
        builder.Services.AddScoped<Operator>();
        var ota = builder.Configuration.GetSection(OtaOptions.Section).Get<OtaOptions>() ?? new OtaOptions();
        // The keys that encrypt device and API key secrets (and sign cookies) live outside the database file: a copy
        // of ota.db alone reveals no secret. Ota:DataProtection:KeysPath puts them elsewhere (another disk, a mounted
        // secret, a folder every node shares). On PostgreSQL without one, several nodes must share the keys, so they
        // are kept in the database (see the README on what that means for a copy of it).
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("OtaConsole");
        var keysPath = builder.Configuration["Ota:DataProtection:KeysPath"];
        if (string.IsNullOrEmpty(keysPath) && ota.Database.Provider == DatabaseProvider.Postgres)
            dataProtection.PersistKeysToDbContext<OtaDbContext>();
        else
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(string.IsNullOrEmpty(keysPath) ? Path.Combine(ota.DataPath, "keys") : keysPath));
        builder.Services.AddOtaCore();
        builder.Services.AddOtaMqtt(builder.Configuration);
        builder.Services.AddOtaApi();
        builder.Services.AddOtaDemo();
        builder.AddOtaAuth();
        builder.AddOtaHardening();
        OpsEndpoints.AddOtaOps(builder);
        configure?.Invoke(builder);

        var app = builder.Build();
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseOtaSecurityHeaders();
        app.UseLegacyPortFilter();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        // The sign-in page needs the console's styles and scripts before anyone has signed in.
        app.MapStaticAssets().AllowAnonymous();
        app.MapOtaAccount();
        app.MapOtaDownloads();
        app.MapOtaExports();
        app.MapOtaAuditExport();
        app.MapOtaApi();
        app.MapOtaEmqxHooks();
        app.MapOtaOps();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        PublicAddress.FillInAtStart(app);
        return app;
    }

    /// <summary>The console's own flags: --simulate N (demo fleet size) and --no-demo (start empty).</summary>
    public static string[] TranslateFlags(string[] args)
    {
        var result = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--no-demo")
                result.Add($"--{DemoOptions.Section}:Devices=0");
            else if (args[i] == "--simulate" && i + 1 < args.Length)
                result.Add($"--{DemoOptions.Section}:Devices={args[++i]}");
            else if (args[i].StartsWith("--simulate=", StringComparison.Ordinal))
                result.Add($"--{DemoOptions.Section}:Devices={args[i]["--simulate=".Length..]}");
            else
                result.Add(args[i]);
        }
        return [.. result];
    }
}
