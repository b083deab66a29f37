using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core;

public static class OtaCoreServices
{
    /// <summary>The core: options from the "Ota" section, the database (SQLite or PostgreSQL), the engine and its loops, the catalog and packages.</summary>
    public static IServiceCollection AddOtaCore(this IServiceCollection services)
    {
        services.AddOptions<OtaOptions>().BindConfiguration(OtaOptions.Section);
        services.AddOptions<RolloutOptions>().BindConfiguration(RolloutOptions.Section)
            .Validate(o => o.Problem() is null, "Ota:Rollout has a value out of range (see the README's configuration table).").ValidateOnStart();
        services.AddOptions<Webhooks.WebhookOptions>().BindConfiguration(Webhooks.WebhookOptions.Section)
            .Validate(o => o.Problem() is null, "Ota:Webhooks has a value out of range or a subscription that is not valid (see the README's Webhooks section).").ValidateOnStart();
        services.AddOptions<Webhooks.AlibabaMessageOptions>().BindConfiguration(Webhooks.AlibabaMessageOptions.Section)
            .Validate(o => o.Problem() is null, "Ota:AlibabaMessages is not valid (see the README's Alibaba OTA messages section).").ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddDbContextFactory<OtaDbContext>((sp, o) =>
        {
            var options = sp.GetRequiredService<IOptions<OtaOptions>>().Value;
            OtaDatabase.Configure(o, options);
        });

        services.AddSingleton<OtaChangeFeed>();
        services.AddSingleton<DeviceDirectory>();
        services.TryAddSingleton<IDeviceGateway, NoDeviceGateway>();
        services.AddSingleton<EngineWriter>();
        services.AddSingleton<RolloutEngine>();
        services.AddSingleton<DeviceEventQueue>();
        services.AddSingleton<SecretProtector>();
        services.AddSingleton<CatalogService>();
        services.AddSingleton<PackageFileStore>();
        services.AddSingleton<PackageService>();
        services.AddSingleton<Queries.BatchQueries>();
        services.AddSingleton<Queries.PackageQueries>();
        services.AddSingleton<Queries.DeviceQueries>();
        services.AddSingleton<Queries.OverviewQueries>();
        services.AddSingleton<Queries.PaceQueries>();
        services.AddSingleton<Analytics.AnalyticsService>();
        services.AddSingleton<Security.AuditedWrites>();
        services.AddSingleton<Security.OperatorDirectory>();
        services.AddSingleton<Security.AuditQueries>();
        services.AddSingleton<Webhooks.WebhookDispatcher>();
        services.AddSingleton<Webhooks.WebhookService>();

        services.AddHostedService<DatabaseInitializer>();
        services.AddHostedService<Webhooks.WebhookConfiguration>();
        services.AddHostedService<PresenceReset>();
        services.AddHostedService<DeviceEventPump>();
        services.AddHostedService<RolloutScheduler>();
        services.AddHostedService<Persistence.Postgres.PostgresChangeRelay>();
        services.AddHostedService<Webhooks.WebhookDispatcherService>();
        return services;
    }
}

/// <summary>The gateway when no device bridge is configured: messages to devices go nowhere.</summary>
internal sealed class NoDeviceGateway : IDeviceGateway
{
    public void SendNotice(UpdateNotice notice) { }
    public void SendFirmwareReply(FirmwareReply reply) { }
}
