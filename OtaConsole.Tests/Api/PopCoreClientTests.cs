using OtaConsole.Core.Security;
using System.Diagnostics;
using System.Text.Json;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>
/// Alibaba's own Node.js RPC client (@alicloud/pop-core 1.8.0, from npm, unchanged) pointed at the console: the
/// promise that existing scripts work. test.sh installs it (npm ci in Api/PopCore).
/// </summary>
public sealed class PopCoreClientTests
{
    private static string ScriptFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OtaConsole.sln")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        return Path.Combine(dir.FullName, "OtaConsole.Tests", "Api", "PopCore");
    }

    [Fact]
    public async Task Alibabas_pop_core_client_creates_and_queries_through_the_API_and_reads_its_errors()
    {
        var folder = ScriptFolder();
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "@alicloud", "pop-core")),
            $"@alicloud/pop-core is not installed in {folder}: run ./test.sh (it runs npm ci there).");
        // pop-core stamps requests with the real clock.
        await using var c = await ConsoleHost.StartAsync(ConsoleHost.ApiKeys(), realTime: true);

        var start = new ProcessStartInfo("node", "calls.js") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OTA_ENDPOINT"] = c.BaseUrl + "/api";
        start.Environment["OTA_KEY_ID"] = ConsoleHost.FullKeyId;
        start.Environment["OTA_KEY_SECRET"] = ConsoleHost.FullKeySecret;
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await node.WaitForExitAsync(timeout.Token);
        var text = await output;
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {text} {await errors}");

        var seen = JsonDocument.Parse(text).RootElement;
        var productKey = seen.GetProperty("productKey").GetString()!;
        var device = (await c.Catalog.FindDeviceAsync(Actor.System, productKey, "lamp_01"))!;
        Assert.Equal("路灯 street lights", (await c.Catalog.FindProductAsync(Actor.System, productKey))!.Name);
        Assert.Equal(device.DeviceSecret, seen.GetProperty("deviceSecret").GetString());
        Assert.Equal("lamp_01", seen.GetProperty("detailName").GetString());
        Assert.Equal(["default|default|whole-device firmware", "wifi|Wi-Fi (2.4 GHz) *'!|模块 ~ a+b=c&d"], seen.GetProperty("modules").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(1, seen.GetProperty("total").GetInt32());
        Assert.Equal("FirmwareNotFound", seen.GetProperty("error").GetString());
        Assert.Contains("nope", seen.GetProperty("errorMessage").GetString());
    }
}
