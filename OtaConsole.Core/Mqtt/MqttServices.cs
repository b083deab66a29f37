using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Mqtt;

public static class MqttServices
{
    /// <summary>The device bridge: the broker (embedded or external, per Ota:Mqtt:Mode), sign-in, uplink handling, downlink publishing, download links.</summary>
    public static IServiceCollection AddOtaMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MqttOptions>().BindConfiguration(MqttOptions.Section);
        services.AddOptions<DownloadOptions>().BindConfiguration(DownloadOptions.Section);
        services.AddSingleton<DownloadLinks>();
        services.AddSingleton<DeviceSecrets>();
        services.AddSingleton<EmqxHooks>();
        services.AddSingleton<BridgeStats>();
        services.AddSingleton<LogThrottle>();
        services.AddSingleton<UplinkHandler>();
        services.AddSingleton<InProcessDevices>();
        services.AddSingleton<MqttDeviceGateway>();
        services.Replace(ServiceDescriptor.Singleton<IDeviceGateway>(sp => sp.GetRequiredService<MqttDeviceGateway>()));

        var mode = configuration.GetValue($"{MqttOptions.Section}:Mode", MqttMode.Embedded);
        if (mode == MqttMode.External)
        {
            services.AddSingleton<ExternalBroker>();
            services.AddSingleton<IMqttTransport>(sp => sp.GetRequiredService<ExternalBroker>());
            services.AddSingleton<IBrokerStatus>(sp => sp.GetRequiredService<ExternalBroker>());
            services.AddHostedService(sp => sp.GetRequiredService<ExternalBroker>());
        }
        else
        {
            services.AddSingleton<EmbeddedBroker>();
            services.AddSingleton<IMqttTransport>(sp => sp.GetRequiredService<EmbeddedBroker>());
            services.AddSingleton<IBrokerStatus>(sp => sp.GetRequiredService<EmbeddedBroker>());
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        }
        services.AddHostedService<DownlinkPublisher>();
        services.AddSingleton<Webhooks.AlibabaMessagePublisher>();
        services.AddHostedService<Webhooks.AlibabaMessageService>();
        services.AddSingleton<MqttDownloads>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttDownloads>());
        return services;
    }
}
