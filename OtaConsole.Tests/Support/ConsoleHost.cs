using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Endpoints;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Support;

/// <summary>
/// The whole console as it runs: web host on a free port (Kestrel), the embedded MQTT broker on a free port,
/// the engine's loops, a SQLite file in a temp folder; time is fake and moves only while a test waits.
/// </summary>
public sealed class ConsoleHost : IAsyncDisposable
{
    public const string ProductKey = "a1PKtest001";
    public const string FullKeyId = "LTAI-full-key", FullKeySecret = "full-secret";
    public const string ReadOnlyKeyId = "LTAI-read-only", ReadOnlyKeySecret = "read-only-secret";
    /// <summary>The administrator every test console starts with (Ota:Auth:InitialAdmin).</summary>
    public const string AdminEmail = "admin@console.test", AdminPassword = "Admin-password-1";
    /// <summary>The password <see cref="AddOperatorAsync"/> gives the accounts it creates.</summary>
    public const string OperatorPassword = "Operator-password-1";

    /// <summary>Settings with two API access keys: one Full, one ReadOnly.</summary>
    public static Dictionary<string, string?> ApiKeys() => new()
    {
        ["Ota:Api:AccessKeys:0:Id"] = FullKeyId,
        ["Ota:Api:AccessKeys:0:Secret"] = FullKeySecret,
        ["Ota:Api:AccessKeys:0:Role"] = "Full",
        ["Ota:Api:AccessKeys:1:Id"] = ReadOnlyKeyId,
        ["Ota:Api:AccessKeys:1:Secret"] = ReadOnlyKeySecret,
        ["Ota:Api:AccessKeys:1:Role"] = "ReadOnly",
    };
    private readonly WebApplicationFactory<Program> _factory;
    private readonly SemaphoreSlim _changed = new(0);
    private readonly IDisposable _subscription;
    private readonly List<SimulatedDevice> _devices = [];

    private readonly FakeTimeProvider? _time;
    private readonly bool _ownsFolder;

    private ConsoleHost(WebApplicationFactory<Program> factory, string folder, bool ownsFolder, FakeTimeProvider? time, LogCapture logs)
    {
        _factory = factory;
        Logs = logs;
        Folder = folder;
        _ownsFolder = ownsFolder;
        _time = time;
        _subscription = Feed.Subscribe(_ => _changed.Release());
    }

    public string Folder { get; }
    /// <summary>What the console logged, Information and above.</summary>
    public LogCapture Logs { get; }
    /// <summary>The console's clock, when it is fake (the default).</summary>
    public FakeTimeProvider Time => _time ?? throw new InvalidOperationException("This console runs on real time.");
    public IServiceProvider Services => _factory.Services;
    public RolloutEngine Engine => Services.GetRequiredService<RolloutEngine>();
    public CatalogService Catalog => Services.GetRequiredService<CatalogService>();
    public PackageService Packages => Services.GetRequiredService<PackageService>();
    public BridgeStats Stats => Services.GetRequiredService<BridgeStats>();
    public OtaChangeFeed Feed => Services.GetRequiredService<OtaChangeFeed>();
    public DeviceEventQueue Queue => Services.GetRequiredService<DeviceEventQueue>();
    public int MqttPort => Services.GetRequiredService<EmbeddedBroker>().Port;
    public int MqttTlsPort => Services.GetRequiredService<EmbeddedBroker>().TlsPort;
    public string BaseUrl { get; private set; } = "";
    public HttpClient Http { get; } = new();

    /// <param name="realTime">Run on the real clock, as browser tests do: a browser cannot wait while a test moves a fake one.</param>
    /// <param name="ownListeners">Listen where the console's settings say (Urls, the port-80 download listener) rather than on one free port.</param>
    /// <param name="folder">The data folder of an earlier console (a restart); it is left in place when this one is disposed.</param>
    /// <param name="time">The clock, when a restart should carry on from an earlier console's.</param>
    public static async Task<ConsoleHost> StartAsync(IDictionary<string, string?>? settings = null, bool realTime = false, bool ownListeners = false,
        string? folder = null, FakeTimeProvider? time = null)
    {
        var ownsFolder = folder is null;
        folder ??= Directory.CreateTempSubdirectory("ota-console-").FullName;
        time ??= realTime ? null : new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
        var all = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Ota:DataDirectory"] = folder,
            // Ports the OS picks (MqttPort, MqttTlsPort tell which); TLS only where a test turns it on.
            ["Ota:Mqtt:EphemeralPorts"] = "true",
            ["Ota:Mqtt:TlsPort"] = "0",
            ["Ota:Mqtt:Host"] = "127.0.0.1",
            ["Ota:Demo:Devices"] = "0",
            ["Ota:Auth:InitialAdmin:Email"] = AdminEmail,
            ["Ota:Auth:InitialAdmin:Password"] = AdminPassword,
            // The API tests and fuzzers send thousands of requests a minute with one key; HardeningTests checks the limit.
            ["Ota:Limits:ApiPerMinute"] = "1000000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (TestDatabase.IsPostgres)
        {
            // A database of its own on the test server, found again by a restart on the same folder.
            var marker = Path.Combine(folder, TestDatabase.PostgresMarker);
            if (!File.Exists(marker))
                await File.WriteAllTextAsync(marker, PostgresServer.Instance.CreateDatabase());
            all["Ota:Database:Provider"] = "Postgres";
            all["Ota:Database:ConnectionString"] = PostgresServer.Instance.ConnectionString(await File.ReadAllTextAsync(marker));
        }
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            all[k] = v;
        var logs = new LogCapture();
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            foreach (var (k, v) in all)
                b.UseSetting(k, v);
            if (time is not null)
                b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(time));
            // The capture sees Information and above whatever the console's own log level says.
            b.ConfigureLogging(l => l.AddProvider(logs).AddFilter<LogCapture>(null, LogLevel.Information));
        });
        if (ownListeners)
            factory.UseKestrel();
        else
            factory.UseKestrel(0);
        // StartServer blocks; off the test's synchronization context it cannot deadlock with the host's own start.
        await Task.Run(factory.StartServer);
        var host = new ConsoleHost(factory, folder, ownsFolder, time, logs);
        var addresses = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        host.BaseUrl = addresses.First(a => new Uri(a).Port != DownloadEndpoints.LegacyPort).TrimEnd('/');
        return host;
    }

    /// <summary>An API client signing as Alibaba's does, with the Full key unless told otherwise, on the console's clock.</summary>
    public AlibabaRpc Rpc(string accessKeyId = FullKeyId, string secret = FullKeySecret) =>
        new(Http, BaseUrl + "/api", accessKeyId, secret, () => _time?.GetUtcNow() ?? DateTimeOffset.UtcNow);

    /// <summary>An operator account with a role, created by the administrator; returns its id.</summary>
    public Task<string> AddOperatorAsync(string email, OperatorRole role) =>
        Services.GetRequiredService<OperatorAdmin>().CreateAsync(AdminActor(), email, OperatorPassword, role);

    public Actor AdminActor()
    {
        using var db = Db();
        var id = db.Users.Single(u => u.Email == AdminEmail).Id;
        return new Actor(ActorKind.Operator, id, AdminEmail, OperatorRole.Admin, "127.0.0.1");
    }

    /// <summary>
    /// An HTTP client with its own cookies, signed in through the sign-in page as a browser would (the form's
    /// antiforgery token included).
    /// </summary>
    public async Task<HttpClient> SignedInClientAsync(string email = AdminEmail, string password = AdminPassword)
    {
        var client = NewClient();
        var response = await SignInAsync(client, email, password);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    /// <summary>A client with cookies of its own that does not follow redirects: a browser without a session yet.</summary>
    public HttpClient NewClient() =>
        new(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(BaseUrl) };

    /// <summary>A page as a browser asks for it (HTML), so a missing session is a redirect to sign in, not a 401.</summary>
    public static Task<HttpResponseMessage> PageAsync(HttpClient http, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        return http.SendAsync(request);
    }

    /// <summary>The antiforgery token a page's form carries, as a browser would post it back.</summary>
    public static string AntiforgeryToken(string html)
    {
        var input = System.Text.RegularExpressions.Regex.Match(html, "<input[^>]*__RequestVerificationToken[^>]*>").Value;
        return System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(input, "value=\"([^\"]+)\"").Groups[1].Value);
    }

    /// <summary>Posts the sign-in form with a fresh antiforgery token; the answer is a redirect when it worked.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password)
    {
        var token = AntiforgeryToken(await client.GetStringAsync("/account/login"));
        Assert.NotEmpty(token);
        return await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>Registers devices that have reported a version and are online, without MQTT (the engine takes the events directly).</summary>
    public async Task<List<string>> ReportedDevicesAsync(int count, string version = "1.0.0", string prefix = "dev")
    {
        var names = Names(count, prefix);
        Assert.Empty((await Catalog.RegisterDevicesAsync(Actor.System, ProductKey, names.Select(n => new DeviceRegistration(n)).ToList())).Rejected);
        await Engine.ApplyDeviceEventsAsync(names.SelectMany(n => new DeviceEvent[]
        {
            new DeviceConnected(new DeviceKey(ProductKey, n)),
            new VersionReported(new DeviceKey(ProductKey, n), OtaModule.Default, version),
        }).ToList());
        return names;
    }

    private static List<string> Names(int count, string prefix) => Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D3}").ToList();

    public async Task ProductAsync(string productKey = ProductKey)
    {
        await Catalog.CreateProductAsync(Actor.System, "Test product", productKey);
        await Catalog.CreateModuleAsync(Actor.System, productKey, "MCU");
    }

    /// <summary>Registers devices and returns how to simulate them (not yet connected).</summary>
    public async Task<List<SimDeviceSpec>> RegisterAsync(int count, string prefix = "dev", string version = "1.0.0", SimSdkStyle style = SimSdkStyle.LinkSdk4)
    {
        var names = Names(count, prefix);
        var result = await Catalog.RegisterDevicesAsync(Actor.System, ProductKey, names.Select(n => new DeviceRegistration(n)).ToList());
        Assert.Empty(result.Rejected);
        return result.Registered.Select(d => new SimDeviceSpec(new DeviceKey(ProductKey, d.DeviceName), d.DeviceSecret)
        {
            Versions = new() { [OtaModule.Default] = version },
            Style = style,
        }).ToList();
    }

    /// <summary>A simulated device on a real MQTT connection to the embedded broker.</summary>
    /// <param name="tlsCa">Connect over TLS (securemode=2) to the TLS port, trusting this CA.</param>
    public SimulatedDevice Device(SimDeviceSpec spec, TimeSpan? downloadTime = null, System.Security.Cryptography.X509Certificates.X509Certificate2? tlsCa = null)
    {
        var link = tlsCa is null ? SimulatedDevice.MqttLink(spec, "127.0.0.1", MqttPort) : SimulatedDevice.MqttLink(spec, "127.0.0.1", MqttTlsPort, tlsCa);
        var d = new SimulatedDevice(spec, link, Http, downloadTime ?? TimeSpan.Zero);
        _devices.Add(d);
        return d;
    }

    /// <summary>Connects a device and waits until the console has its version.</summary>
    public async Task<SimulatedDevice> OnlineAsync(SimDeviceSpec spec)
    {
        var d = Device(spec);
        Assert.True(await d.ConnectAsync(), $"{spec.Key} could not sign in");
        await WaitForAsync(async () => (await Catalog.FindDeviceAsync(Actor.System, spec.Key.ProductKey, spec.Key.DeviceName))!.ModuleVersions
            .Any(v => v.ModuleName == OtaModule.Default && v.Version == spec.Versions[OtaModule.Default]), advanceClock: false);
        return d;
    }

    public async Task<UpdatePackage> PackageAsync(string dest = "2.0.0", string module = OtaModule.Default, int files = 1, PackageType type = PackageType.Full, string? src = null)
    {
        var uploads = Enumerable.Range(0, files).Select(i => new PackageFileUpload($"fw{i}.bin", new MemoryStream(Encoding.UTF8.GetBytes($"firmware {module} {dest} {i}")))).ToList();
        return await Packages.CreateAsync(Actor.System, new CreatePackageRequest
        {
            ProductKey = ProductKey,
            Name = $"p-{Guid.NewGuid():N}"[..30],
            DestVersion = dest,
            ModuleName = module,
            Type = type,
            SrcVersion = src,
            NeedToVerify = false,
            Files = uploads,
        });
    }

    public async Task<UpdateTask> TaskAsync(string batchId, string deviceName)
    {
        await using var db = Db();
        return await db.Tasks.AsNoTracking().SingleAsync(t => t.BatchId == batchId && t.DeviceName == deviceName);
    }

    public OtaDbContext Db() => Services.GetRequiredService<IDbContextFactory<OtaDbContext>>().CreateDbContext();

    /// <summary>Waits until the task reaches a status (and the condition, if any), moving the fake clock a second at a time.</summary>
    public async Task<UpdateTask> TaskReachesAsync(string batchId, string deviceName, OtaTaskStatus status, TimeSpan? within = null) =>
        (await UntilAsync(async () =>
        {
            await using var db = Db();
            return await db.Tasks.AsNoTracking().Where(t => t.BatchId == batchId && t.DeviceName == deviceName).OrderByDescending(t => t.Id).FirstOrDefaultAsync();
        }, t => t?.Status == status, $"{deviceName} to reach {status}", within))!;

    public async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? within = null, bool advanceClock = true)
    {
        T last = default!;
        await WaitForAsync(async () => done(last = await read()), within, advanceClock, what);
        return last;
    }

    /// <summary>
    /// Waits for a condition, re-checking whenever the console commits a change; between checks the fake
    /// clock moves one second, so the scheduler ticks.
    /// </summary>
    public async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan? within = null, bool advanceClock = true, string? what = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what ?? "the condition"}.");
            if (advanceClock && _time is not null)
                _time.Advance(TimeSpan.FromSeconds(1));
            await _changed.WaitAsync(TimeSpan.FromMilliseconds(25));
        }
    }

    /// <summary>Waits until every device event handed to the engine so far has been applied.</summary>
    public Task DrainAsync() => WaitForAsync(() => Task.FromResult(Queue.Applied + Queue.Dropped >= Queue.Enqueued), advanceClock: false, what: "the device event queue to drain");

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _devices)
            await d.DisposeAsync();
        _subscription.Dispose();
        Http.Dispose();
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (!_ownsFolder)
            return;
        var marker = Path.Combine(Folder, TestDatabase.PostgresMarker);
        if (File.Exists(marker))
            PostgresServer.Instance.DropDatabase(await File.ReadAllTextAsync(marker));
        try
        {
            Directory.Delete(Folder, true);
        }
        catch (IOException)
        {
        }
    }
}
