using System.Security.Cryptography;
using OtaConsole.Core.Model;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>
/// A fleet stood up and updated through the API alone, as a script moving off Alibaba's cloud would do it:
/// product, devices, upload, verify, static batch; simulated devices on real MQTT update; the script pages
/// ListOTATaskByJob until every task has SUCCEEDED.
/// </summary>
public sealed class ApiEndToEndTests : IAsyncLifetime
{
    private ConsoleHost _c = null!;
    private AlibabaRpc _api = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await ConsoleHost.StartAsync(ConsoleHost.ApiKeys());
        _api = _c.Rpc();
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task A_script_stands_up_a_fleet_and_updates_it_through_the_API_alone()
    {
        // A product and five devices; each device signs in with the secret RegisterDevice returned.
        var productKey = (await _api.PostAsync("CreateProduct", new { ProductName = "Street lights", NodeType = 0 })).Ok()["ProductKey"].GetString()!;
        var names = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var device = (await _api.PostAsync("RegisterDevice", new { ProductKey = productKey, DeviceName = $"light-{i}" })).Ok().Data;
            names.Add(device.GetProperty("DeviceName").GetString()!);
            var sim = _c.Device(new SimDeviceSpec(new DeviceKey(productKey, names[^1]), device.GetProperty("DeviceSecret").GetString()!));
            Assert.True(await sim.ConnectAsync());
        }
        foreach (var name in names)
            await _c.WaitForAsync(async () => (await _api.GetAsync("QueryDeviceDetail", new { ProductKey = productKey, DeviceName = name })).Ok()
                .Data.TryGetProperty("FirmwareVersion", out var v) && v.GetString() == "1.0.0", what: $"{name} to report its version");

        // The package: uploaded to the console's own store, then created from its FirmwareUrl; it needs verifying.
        var content = RandomNumberGenerator.GetBytes(64 * 1024);
        var (url, uploaded) = await _api.UploadAsync(content);
        Assert.Equal(200, uploaded);
        var firmwareId = (await _api.PostAsync("CreateOTAFirmware", new
        {
            ProductKey = productKey, FirmwareName = "lights-2", DestVersion = "2.0.0", FirmwareUrl = url,
            FirmwareSign = Convert.ToHexStringLower(MD5.HashData(content)), FirmwareSize = content.Length,
        })).Ok().Data.GetProperty("FirmwareId").GetString()!;
        (await _api.PostAsync("CreateOTAStaticUpgradeJob", new { FirmwareId = firmwareId, ProductKey = productKey, TargetSelection = "ALL" }))
            .Refused(400, "FirmwareNotVerified");

        var verifyJob = (await _api.PostAsync("CreateOTAVerifyJob", new { FirmwareId = firmwareId, ProductKey = productKey, TargetDeviceName = new[] { names[0] } }))
            .Ok().Data.GetProperty("JobId").GetString()!;
        await _c.WaitForAsync(async () => (await _api.GetAsync("QueryOTAFirmware", new { FirmwareId = firmwareId })).Ok()["FirmwareInfo"].GetProperty("Status").GetInt32() == 1,
            what: "the package to be verified");

        // The batch, and the script's polling loop.
        var jobId = (await _api.PostAsync("CreateOTAStaticUpgradeJob", new
        {
            FirmwareId = firmwareId, ProductKey = productKey, TargetSelection = "ALL", MaximumPerMinute = 60, Tag = new[] { new { Key = "wave", Value = "1" } },
        })).Ok().Data.GetProperty("JobId").GetString()!;
        var statuses = new Dictionary<string, string>();
        await _c.WaitForAsync(async () =>
        {
            statuses.Clear();
            for (var page = 1; ; page++)
            {
                var answer = (await _api.GetAsync("ListOTATaskByJob", new { JobId = jobId, CurrentPage = page, PageSize = 2 })).Ok();
                foreach (var t in answer.Data.GetProperty("SimpleOTATaskInfo").EnumerateArray())
                    statuses[t.GetProperty("DeviceName").GetString()!] = t.GetProperty("TaskStatus").GetString()!;
                if (page >= answer["PageCount"].GetInt32())
                    break;
            }
            return statuses.Count == 4 && statuses.Values.All(s => s == "SUCCEEDED");
        }, within: TimeSpan.FromSeconds(60), what: "every task to succeed");

        // The verified device was on 2.0.0 already; the batch updated the other four.
        Assert.Equal(names.Skip(1).Order(), statuses.Keys.Order());
        var byFirmware = (await _api.GetAsync("ListOTAJobByFirmware", new { FirmwareId = firmwareId, CurrentPage = 1, PageSize = 10 })).Ok();
        Assert.Equal([jobId, verifyJob], byFirmware.Data.GetProperty("SimpleOTAJobInfo").EnumerateArray().Select(j => j.GetProperty("JobId").GetString()));
        var byDevice = (await _api.GetAsync("ListOTAJobByDevice", new { FirmwareId = firmwareId, ProductKey = productKey, DeviceName = names[0], CurrentPage = 1, PageSize = 10 })).Ok();
        Assert.Equal([verifyJob], byDevice.Data.GetProperty("SimpleOTAJobInfo").EnumerateArray().Select(j => j.GetProperty("JobId").GetString()));
        var job = (await _api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        Assert.Equal("COMPLETED", job.GetProperty("JobStatus").GetString());
        Assert.True(job.TryGetProperty("UtcEndTime", out _));
        Assert.Equal("wave", job.GetProperty("Tags").GetProperty("OtaTagDTO")[0].GetProperty("Key").GetString());
        foreach (var name in names)
            Assert.Equal("2.0.0", (await _api.GetAsync("QueryDeviceDetail", new { ProductKey = productKey, DeviceName = name })).Ok().Data.GetProperty("FirmwareVersion").GetString());
    }
}
