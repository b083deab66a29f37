using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;

namespace OtaConsole.Core.Simulation;

/// <summary>How a simulated device fails its update, if it does.</summary>
public enum SimFailure
{
    None,
    /// <summary>Reports step -1.</summary>
    UpdateFailed,
    /// <summary>Reports step -2 (without downloading).</summary>
    DownloadFailed,
    /// <summary>Reports step -3, as when the digest does not match.</summary>
    VerifyFailed,
    /// <summary>Reports step -4.</summary>
    FlashFailed,
    /// <summary>Finishes but reports a version that is not the destination.</summary>
    WrongVersion,
    /// <summary>Reports "0" and then nothing, until the timeout.</summary>
    Silent,
}

/// <summary>Which Alibaba SDK generation a simulated device behaves like.</summary>
public enum SimSdkStyle
{
    /// <summary>Link SDK 4.x: _ss=1 (the server subscribes it), QoS 0, names the module in progress reports.</summary>
    LinkSdk4,
    /// <summary>C SDK 3.x: subscribes itself, clean session off, version reports at QoS 1, no module in progress reports.</summary>
    CSdk3,
}

/// <summary>One simulated device's identity and behaviour.</summary>
public sealed record SimDeviceSpec(DeviceKey Key, string Secret)
{
    public Dictionary<string, string> Versions { get; init; } = new() { [OtaModule.Default] = "1.0.0" };
    public SimFailure Failure { get; init; }
    /// <summary>How many update attempts fail before one succeeds (with a failure set).</summary>
    public int FailAttempts { get; init; } = int.MaxValue;
    public SimSdkStyle Style { get; init; } = SimSdkStyle.LinkSdk4;
}

/// <summary>
/// A device that speaks Alibaba's OTA protocol as the real SDKs do (reference §2, §7): it signs in, reports
/// its versions, takes a notice (pushed, or asked for with firmware/get), downloads each file through the link,
/// checks its digest, reports progress "0" then steps to "100", and reports the new version.
/// </summary>
public sealed class SimulatedDevice : IAsyncDisposable
{
    public const string FixedTimestamp = "2524608000000";

    private readonly ISimLink _link;
    private readonly HttpClient _http;
    private readonly TimeSpan _downloadTime;
    private readonly ConcurrentQueue<string> _received = new();
    private int _attempts;
    private int _messageId;
    private int _updating;
    private (long Offset, TaskCompletionSource<byte[]> Reply)? _blockWait;
    // The downlink topics it acts on, made once: every message is compared with them.
    private readonly string _fileDownloadReply, _upgrade, _firmwareGetReply;

    public SimulatedDevice(SimDeviceSpec spec, ISimLink link, HttpClient http, TimeSpan downloadTime)
    {
        Spec = spec;
        _link = link;
        _http = http;
        _downloadTime = downloadTime;
        Versions = new ConcurrentDictionary<string, string>(spec.Versions);
        (_fileDownloadReply, _upgrade, _firmwareGetReply) = (AlinkTopics.FileDownloadReply(spec.Key), AlinkTopics.Upgrade(spec.Key), AlinkTopics.FirmwareGetReply(spec.Key));
        _link.OnMessage = OnMessageAsync;
    }

    public SimDeviceSpec Spec { get; }
    public DeviceKey Key => Spec.Key;
    public ConcurrentDictionary<string, string> Versions { get; }
    public bool IsConnected => _link.IsConnected;
    /// <summary>Every downlink payload received, as text, in order.</summary>
    public IReadOnlyCollection<string> Received => _received;
    /// <summary>Upgrade notices received (on /ota/device/upgrade; firmware/get replies are not counted).</summary>
    public int UpgradeNotices => Volatile.Read(ref _upgradeNotices);
    private int _upgradeNotices;
    public int UpdatesCompleted;
    public int UpdatesFailed;
    public Exception? LastError { get; private set; }

    /// <summary>The CONNECT fields the device's SDK style sends: clientId, username, password, keep-alive, clean session.</summary>
    /// <param name="tls">Over TLS: securemode=2 (Alibaba's default), otherwise 3 (plain TCP).</param>
    public static (string ClientId, string Username, string Password, TimeSpan KeepAlive, bool CleanSession) SignIn(SimDeviceSpec spec, bool tls = false)
    {
        var mode = tls ? 2 : 3;
        var (clientId, keepAlive, clean) = spec.Style == SimSdkStyle.CSdk3
            ? ($"{spec.Key.ProductKey}.{spec.Key.DeviceName}|timestamp={FixedTimestamp},_v=sim-c-3,securemode={mode},signmethod=hmacsha256,lan=C,gw=0,ext=0|", TimeSpan.FromSeconds(120), false)
            : ($"{spec.Key.ProductKey}.{spec.Key.DeviceName}|timestamp={FixedTimestamp},_ss=1,_v=sim-c-4,securemode={mode},signmethod=hmacsha256,ext=3,|", TimeSpan.FromSeconds(1200), true);
        var id = clientId[..clientId.IndexOf('|', StringComparison.Ordinal)];
        var password = AlibabaSignIn.Sign("hmacsha256", spec.Secret, AlibabaSignIn.SignedContent(id, spec.Key, FixedTimestamp))!;
        return (clientId, $"{spec.Key.DeviceName}&{spec.Key.ProductKey}", password, keepAlive, clean);
    }

    /// <summary>A real MQTT link signed in as the device's SDK style does; over TLS (securemode=2) when given the CA to trust.</summary>
    public static MqttSimLink MqttLink(SimDeviceSpec spec, string host, int port, System.Security.Cryptography.X509Certificates.X509Certificate2? trustedCa = null)
    {
        var s = SignIn(spec, tls: trustedCa is not null);
        return new MqttSimLink(host, port, s.ClientId, s.Username, s.Password, s.KeepAlive, s.CleanSession, trustedCa);
    }

    /// <summary>Connects, subscribes where the SDK would, and reports every module's version.</summary>
    public async Task<bool> ConnectAsync(CancellationToken ct = default)
    {
        if (!await _link.ConnectAsync(ct))
            return false;
        if (Spec.Style == SimSdkStyle.CSdk3)
            await _link.SubscribeAsync([AlinkTopics.LegacyRequest(Key), AlinkTopics.Upgrade(Key), AlinkTopics.FirmwareGetReply(Key), AlinkTopics.FileDownloadReply(Key)], ct);
        foreach (var (module, version) in Versions)
            await ReportVersionAsync(module, version, ct);
        return true;
    }

    public Task DisconnectAsync(CancellationToken ct = default) => _link.DisconnectAsync(ct);

    public Task ReportVersionAsync(string module, string version, CancellationToken ct = default)
    {
        Versions[module] = version;
        var p = module == OtaModule.Default ? new Dictionary<string, string> { ["version"] = version } : new() { ["version"] = version, ["module"] = module };
        return Publish(AlinkTopics.Inform(Key), p, Spec.Style == SimSdkStyle.CSdk3, ct);
    }

    /// <summary>thing/ota/firmware/get, as Link SDK 4.x sends it.</summary>
    public Task RequestFirmwareAsync(string? module = null, CancellationToken ct = default) =>
        Publish(AlinkTopics.FirmwareGet(Key), module is null ? new Dictionary<string, string>() : new() { ["module"] = module }, false, ct);

    public Task ReportProgressAsync(int step, string? module, string desc = "", CancellationToken ct = default)
    {
        var p = new Dictionary<string, string> { ["step"] = step.ToString(CultureInfo.InvariantCulture), ["desc"] = desc };
        if (module is not null && Spec.Style == SimSdkStyle.LinkSdk4)
            p["module"] = module;
        return Publish(AlinkTopics.Progress(Key), p, false, ct);
    }

    private Task Publish(string topic, Dictionary<string, string> parameters, bool atLeastOnce, CancellationToken ct)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new { id = Interlocked.Increment(ref _messageId), @params = parameters });
        return _link.PublishAsync(topic, json, atLeastOnce, ct);
    }

    private Task OnMessageAsync(string topic, byte[] payload)
    {
        if (topic == _fileDownloadReply)
        {
            if (_blockWait is var (offset, reply) && MqttDownloadCodec.DecodeReply(payload) is var (data, block)
                && data.GetProperty("bOffset").GetInt64() == offset)
                reply.TrySetResult(block);
            return Task.CompletedTask;
        }
        _received.Enqueue(Encoding.UTF8.GetString(payload));
        if (topic == _upgrade)
            Interlocked.Increment(ref _upgradeNotices);
        if (topic != _upgrade && topic != _firmwareGetReply)
            return Task.CompletedTask;
        // Like an SDK, take one update at a time; the work happens off the receive path.
        if (Interlocked.CompareExchange(ref _updating, 1, 0) != 0)
            return Task.CompletedTask;
        _ = Task.Run(async () =>
        {
            try
            {
                await UpdateAsync(payload);
            }
            catch (Exception e)
            {
                LastError = e;
            }
            finally
            {
                Volatile.Write(ref _updating, 0);
            }
        });
        return Task.CompletedTask;
    }

    private async Task UpdateAsync(byte[] payload)
    {
        using var doc = JsonDocument.Parse(payload);
        if (!doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("version", out var v))
            return; // an empty firmware/get reply: nothing pending
        var version = v.GetString()!;
        var module = data.TryGetProperty("module", out var m) ? m.GetString() : null;
        var moduleName = module ?? OtaModule.Default;
        var reportModule = module ?? (Spec.Style == SimSdkStyle.LinkSdk4 ? OtaModule.Default : null);
        var attempt = Interlocked.Increment(ref _attempts);
        var failure = attempt <= Spec.FailAttempts ? Spec.Failure : SimFailure.None;

        await ReportProgressAsync(0, reportModule, "Enter in downloading state");
        switch (failure)
        {
            case SimFailure.Silent:
                return;
            case SimFailure.DownloadFailed:
                await FailAsync(-2, reportModule);
                return;
        }

        foreach (var (url, md5, size) in Files(data))
        {
            byte[]? bytes;
            if (data.TryGetProperty("dProtocol", out var dp) && dp.GetString() == "mqtt")
            {
                bytes = await MqttDownloadAsync(data.GetProperty("streamId").GetInt64(), size);
                if (bytes is null)
                {
                    await FailAsync(-4, reportModule); // as the SDK does when blocks stop coming
                    return;
                }
            }
            else
            {
                try
                {
                    bytes = await _http.GetByteArrayAsync(url);
                }
                catch (HttpRequestException)
                {
                    await FailAsync(-2, reportModule);
                    return;
                }
            }
            if (bytes.Length != size || !string.Equals(Convert.ToHexStringLower(MD5.HashData(bytes)), md5, StringComparison.OrdinalIgnoreCase) || failure == SimFailure.VerifyFailed)
            {
                // A device that fails verification has spent its download time first.
                if (failure == SimFailure.VerifyFailed && _downloadTime > TimeSpan.Zero)
                    await Task.Delay(_downloadTime);
                await FailAsync(-3, reportModule);
                return;
            }
        }
        if (failure == SimFailure.UpdateFailed)
        {
            await FailAsync(-1, reportModule);
            return;
        }
        foreach (var step in new[] { 25, 50, 75 })
        {
            if (_downloadTime > TimeSpan.Zero)
                await Task.Delay(_downloadTime / 4);
            await ReportProgressAsync(step, reportModule);
        }
        if (failure == SimFailure.FlashFailed)
        {
            await FailAsync(-4, reportModule);
            return;
        }
        await ReportProgressAsync(100, reportModule);
        await ReportVersionAsync(moduleName, failure == SimFailure.WrongVersion ? version + "-unexpected" : version);
        Interlocked.Increment(ref UpdatesCompleted);
    }

    /// <summary>Link SDK 4.x's MQTT download: 5 KB blocks, each awaited 10 s and asked for up to 3 times.</summary>
    private async Task<byte[]?> MqttDownloadAsync(long streamId, long size)
    {
        const int block = 5120;
        var file = new byte[size];
        for (long offset = 0; offset < size;)
        {
            var want = (int)Math.Min(block, size - offset);
            byte[]? got = null;
            for (var attempt = 0; attempt < 3 && got is null; attempt++)
            {
                var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
                _blockWait = (offset, reply);
                var id = Interlocked.Increment(ref _messageId);
                // Byte for byte the SDK's request, trailing comma included.
                var request = $"{{\"id\":\"{id}\",\"version\":\"1.0\",\"params\":{{\"fileToken\":\"default\",\"fileInfo\":{{\"streamId\":{streamId},\"fileId\":1,}},\"fileBlock\":{{\"size\":{want},\"offset\":{offset}}}}}}}";
                await _link.PublishAsync(AlinkTopics.FileDownload(Key), Encoding.UTF8.GetBytes(request), false, CancellationToken.None);
                try
                {
                    got = await reply.Task.WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (TimeoutException)
                {
                }
            }
            if (got is null || got.Length == 0 || offset + got.Length > size)
                return null;
            got.CopyTo(file, offset);
            offset += got.Length;
        }
        _blockWait = null;
        return file;
    }

    private async Task FailAsync(int step, string? module)
    {
        Interlocked.Increment(ref UpdatesFailed);
        await ReportProgressAsync(step, module, $"simulated failure {step}");
    }

    private static IEnumerable<(string Url, string Md5, long Size)> Files(JsonElement data)
    {
        if (data.TryGetProperty("files", out var files))
        {
            foreach (var f in files.EnumerateArray())
                yield return (f.GetProperty("fileUrl").GetString()!, f.GetProperty("fileMd5").GetString()!, f.GetProperty("fileSize").GetInt64());
        }
        else
        {
            yield return (data.TryGetProperty("url", out var u) ? u.GetString()! : "", data.GetProperty("md5").GetString()!, data.GetProperty("size").GetInt64());
        }
    }

    public async ValueTask DisposeAsync() => await _link.DisposeAsync();
}
