using Microsoft.Extensions.Logging;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Simulation;

/// <summary>The knobs of a simulated fleet.</summary>
public sealed class FleetOptions
{
    /// <summary>Where the devices connect (real MQTT).</summary>
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 1883;
    /// <summary>Share of the fleet connected at start (0..1).</summary>
    public double OnlineShare { get; set; } = 1.0;
    /// <summary>Share of the fleet that goes offline or comes back each minute (0..1).</summary>
    public double ChurnPerMinute { get; set; }
    /// <summary>How long a device takes from its first progress report to its last.</summary>
    public TimeSpan DownloadTime { get; set; } = TimeSpan.FromSeconds(4);
    /// <summary>Run devices inside the console's process (no sockets) instead of over TCP. Needed past ~15,000 devices here.</summary>
    public bool InProcess { get; set; }
    /// <summary>Connect over TLS (securemode=2), trusting this CA.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? TlsCa { get; set; }
    public int ConnectParallelism { get; set; } = 64;
}

/// <summary>A fleet of <see cref="SimulatedDevice"/>s: connects them, keeps the online share, and churns them.</summary>
public sealed class FleetSimulator : IAsyncDisposable
{
    /// <summary>Above this many devices a fleet runs in process: this machine allows a process 20,000 open files.</summary>
    public const int MaxTcpDevices = 15_000;

    private readonly FleetOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random = new(7);
    private Task? _churn;

    public FleetSimulator(IEnumerable<SimDeviceSpec> specs, FleetOptions options, TimeProvider time, ILogger log,
        Func<SimDeviceSpec, ISimLink>? inProcessLink = null)
    {
        _options = options;
        _time = time;
        _log = log;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromMinutes(5) };
        var list = specs.ToList();
        if (list.Count > MaxTcpDevices && !options.InProcess)
            throw new ArgumentException($"{list.Count} devices over TCP exceed this machine's file limit; set InProcess.");
        if (options.InProcess && inProcessLink is null)
            throw new ArgumentException("An in-process fleet needs the console's bridge.");
        Devices = list.Select(s => new SimulatedDevice(s,
            options.InProcess ? inProcessLink!(s) : SimulatedDevice.MqttLink(s, options.Host, options.Port, options.TlsCa),
            _http, options.DownloadTime)).ToList();
    }

    public IReadOnlyList<SimulatedDevice> Devices { get; }

    /// <summary>
    /// Gives devices versions and failures in the proportions asked for (weights), deterministically for a seed:
    /// the version mix and failure mix knobs of a fleet.
    /// </summary>
    public static List<SimDeviceSpec> WithMixes(IEnumerable<SimDeviceSpec> specs, IReadOnlyList<(string Version, int Weight)> versionMix,
        IReadOnlyList<(SimFailure Failure, int Weight)> failureMix, int seed)
    {
        var random = new Random(seed);
        static T Pick<T>(Random r, IReadOnlyList<(T Value, int Weight)> mix)
        {
            var roll = r.Next(mix.Sum(m => m.Weight));
            foreach (var (value, weight) in mix)
            {
                if ((roll -= weight) < 0)
                    return value;
            }
            return mix[^1].Value;
        }
        return specs.Select(s => s with
        {
            Versions = new Dictionary<string, string>(s.Versions) { [OtaModule.Default] = Pick(random, versionMix) },
            Failure = failureMix.Count == 0 ? SimFailure.None : Pick(random, failureMix),
        }).ToList();
    }

    /// <summary>An in-process link factory over a console's bridge.</summary>
    public static Func<SimDeviceSpec, ISimLink> InProcessLinks(UplinkHandler uplinks, InProcessDevices registry, DeviceEventQueue events) =>
        spec => new InProcessSimLink(spec.Key, uplinks, registry, events);

    /// <summary>Connects the online share of the fleet, a few at a time.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        var online = Devices.Take((int)Math.Round(Devices.Count * Math.Clamp(_options.OnlineShare, 0, 1))).ToList();
        await Parallel.ForEachAsync(online, new ParallelOptions { MaxDegreeOfParallelism = _options.ConnectParallelism, CancellationToken = ct },
            async (d, c) => await TryConnectAsync(d, c));
        if (_options.ChurnPerMinute > 0)
            _churn = Task.Run(() => ChurnAsync(_stop.Token), CancellationToken.None);
    }

    private async Task<bool> TryConnectAsync(SimulatedDevice d, CancellationToken ct)
    {
        try
        {
            if (await d.ConnectAsync(ct))
                return true;
            _log.LogWarning("Simulated device {Device} was refused", d.Key);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogDebug("Simulated device {Device} could not connect: {Message}", d.Key, e.Message);
        }
        return false;
    }

    /// <summary>Every second, flips about ChurnPerMinute/60 of the fleet between online and offline.</summary>
    private async Task ChurnAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        double owed = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                owed += Devices.Count * _options.ChurnPerMinute / 60;
                for (; owed >= 1; owed--)
                {
                    var d = Devices[_random.Next(Devices.Count)];
                    if (d.IsConnected)
                        await d.DisconnectAsync(ct);
                    else
                        await TryConnectAsync(d, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Fleet churn stopped");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_churn is not null)
            await _churn;
        await Parallel.ForEachAsync(Devices, new ParallelOptions { MaxDegreeOfParallelism = _options.ConnectParallelism },
            async (d, _) => await d.DisposeAsync());
        _http.Dispose();
        _stop.Dispose();
    }
}
