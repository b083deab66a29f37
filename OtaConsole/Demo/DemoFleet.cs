using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Core.Security;

namespace OtaConsole.Demo;

/// <summary>The "Ota:Demo" section.</summary>
public sealed class DemoOptions
{
    public const string Section = "Ota:Demo";

    /// <summary>Simulated devices of the demo product (0 turns the demo off; --simulate N, --no-demo).</summary>
    public int Devices { get; set; } = 200;

    /// <summary>Seconds a simulated device takes to download and flash.</summary>
    public double DownloadSeconds { get; set; } = 6;
}

public static class DemoServices
{
    public static IServiceCollection AddOtaDemo(this IServiceCollection services)
    {
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section);
        services.AddHostedService<DemoFleet>();
        return services;
    }
}

/// <summary>
/// On first run, a demo product with modules, packages and a fleet, and one batch already rolling out, so
/// the first screen a newcomer opens shows devices moving. On every run the demo fleet connects over real MQTT.
/// </summary>
public sealed class DemoFleet(
    IOptions<DemoOptions> options,
    IOptions<OtaOptions> ota,
    IOptions<MqttOptions> mqtt,
    IServiceProvider services,
    CatalogService catalog,
    PackageService packages,
    RolloutEngine engine,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<DemoFleet> log) : BackgroundService
{
    public const string ProductKey = "a1DemoOta01";
    private static readonly string[] VersionMix = ["1.0.0", "1.0.0", "1.0.0", "1.0.0", "1.0.0", "1.0.0", "1.0.0", "1.1.0", "1.1.0", "0.9.5"];

    private FleetSimulator? _fleet;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var size = options.Value.Devices;
        if (size <= 0)
            return;
        // The demo is for one machine: with PostgreSQL several nodes may start, and each would seed and simulate
        // the same devices.
        if (ota.Value.Database.Provider == DatabaseProvider.Postgres)
        {
            log.LogInformation("No demo fleet on PostgreSQL (the demo runs on one machine, with SQLite)");
            return;
        }
        // The broker and the web address are ready once the host has started.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            await started.Task.WaitAsync(stoppingToken);
        try
        {
            var firstRun = await catalog.FindProductAsync(Actor.System, ProductKey, stoppingToken) is null;
            if (firstRun)
                await SeedAsync(size, stoppingToken);
            await StartFleetAsync(stoppingToken);
            if (firstRun)
                await StartRolloutAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            log.LogError(e, "The demo fleet could not start");
        }
    }

    private async Task SeedAsync(int size, CancellationToken ct)
    {
        await catalog.CreateProductAsync(Actor.System, "Smart thermostat (demo)", ProductKey, "Simulated devices", ct: ct);
        await catalog.CreateModuleAsync(Actor.System, ProductKey, "MCU", "Microcontroller", "Sensor board firmware", ct);
        await catalog.RegisterDevicesAsync(Actor.System, ProductKey, Enumerable.Range(1, size).Select(i => new DeviceRegistration(DeviceName(i))).ToList(), ct);
        await PackageAsync("Thermostat-2_0_0", "2.0.0", OtaModule.Default, needToVerify: false, ct);
        await PackageAsync("Thermostat-2_1_0", "2.1.0", OtaModule.Default, needToVerify: true, ct);
        await PackageAsync("MCU-1_2", "1.2", "MCU", needToVerify: false, ct);
        log.LogInformation("Demo product {ProductKey} seeded with {Count} devices", ProductKey, size);
    }

    private async Task PackageAsync(string name, string version, string module, bool needToVerify, CancellationToken ct)
    {
        var firmware = RandomNumberGenerator.GetBytes(256 * 1024);
        await packages.CreateAsync(Actor.System, new CreatePackageRequest
        {
            ProductKey = ProductKey,
            Name = name,
            DestVersion = version,
            ModuleName = module,
            NeedToVerify = needToVerify,
            Description = "Demo package",
            Files = [new PackageFileUpload($"{name}.bin", new MemoryStream(firmware))],
        }, ct);
    }

    private async Task StartFleetAsync(CancellationToken ct)
    {
        var devices = new List<SimDeviceSpec>();
        var i = 0;
        await foreach (var d in catalog.DevicesOfAsync(Actor.System, ProductKey, ct))
        {
            var versions = d.ModuleVersions.ToDictionary(v => v.ModuleName, v => v.Version);
            versions.TryAdd(OtaModule.Default, VersionMix[i % VersionMix.Length]);
            versions.TryAdd("MCU", "1.0");
            // A few devices fail their first attempt, so retries and failures show too.
            devices.Add(new SimDeviceSpec(new DeviceKey(ProductKey, d.DeviceName), d.DeviceSecret)
            {
                Versions = versions,
                Failure = (i % 25) switch { 3 => SimFailure.DownloadFailed, 11 => SimFailure.VerifyFailed, 17 => SimFailure.Silent, _ => SimFailure.None },
                FailAttempts = 1,
                Style = i % 5 == 0 ? SimSdkStyle.CSdk3 : SimSdkStyle.LinkSdk4,
            });
            i++;
        }
        var o = mqtt.Value;
        var inProcess = devices.Count > FleetSimulator.MaxTcpDevices;
        var port = o.Mode == MqttMode.Embedded ? services.GetRequiredService<EmbeddedBroker>().Port : o.Port;
        System.Security.Cryptography.X509Certificates.X509Certificate2? ca = null;
        var caFile = Path.Combine(services.GetRequiredService<IOptions<OtaOptions>>().Value.DataPath, BrokerCertificate.Folder, BrokerCertificate.CaFile);
        if (o.Mode == MqttMode.Embedded && port == 0 && File.Exists(caFile))
        {
            // The plain port is off: the demo devices use TLS, trusting the console's own CA, as real ones would.
            port = services.GetRequiredService<EmbeddedBroker>().TlsPort;
            ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
        }
        _fleet = new FleetSimulator(devices, new FleetOptions
        {
            Host = o.Mode == MqttMode.Embedded || o.Host is "*" or "" ? "127.0.0.1" : o.Host,
            Port = port,
            OnlineShare = 0.9,
            ChurnPerMinute = 0.02,
            DownloadTime = TimeSpan.FromSeconds(options.Value.DownloadSeconds),
            InProcess = inProcess,
            TlsCa = ca,
        }, time, log, inProcess ? FleetSimulator.InProcessLinks(services.GetRequiredService<UplinkHandler>(), services.GetRequiredService<InProcessDevices>(), services.GetRequiredService<DeviceEventQueue>()) : null);
        await _fleet.StartAsync(ct);
        log.LogInformation("Demo fleet of {Count} simulated devices connected {How}", devices.Count, inProcess ? "in process" : $"over MQTT to port {port}");
    }

    private async Task StartRolloutAsync(CancellationToken ct)
    {
        // The batch picks devices by the versions they report: let the engine apply the fleet's reports first.
        var queue = services.GetRequiredService<DeviceEventQueue>();
        for (var waited = 0; queue.Applied < queue.Enqueued && waited < 600; waited++)
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
        var package = (await packages.ListAsync(Actor.System, ProductKey, ct)).First(p => p.DestVersion == "2.0.0");
        await engine.CreateBatchAsync(Actor.System, new CreateBatchRequest
        {
            PackageId = package.Id,
            Name = "Demo rollout to 2.0.0",
            SrcVersions = ["1.0.0"],
            PushRate = PushRate.Constant(30),
            TimeoutMinutes = 30,
            RetryIntervalMinutes = 0,
            RetryCount = 2,
            Tags = [new BatchTag { Key = "channel", Value = "demo" }],
        }, ct);
    }

    private static string DeviceName(int i) => $"thermo-{i:D5}";

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_fleet is not null)
            await _fleet.DisposeAsync();
    }
}
