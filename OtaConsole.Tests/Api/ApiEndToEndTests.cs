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
public sealed class ApiEndToEndTests : ApiTestBase
{
    [Fact]
    public async Task A_script_stands_up_a_fleet_and_updates_it_through_the_API_alone()
    {
        // A product and five devices; each device signs in with the secret RegisterDevice returned.
        var productKey = (await Api.PostAsync("CreateProduct", new { ProductName = "Street lights", NodeType = 0 })).Ok()["ProductKey"].GetString()!;
        var names = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var device = (await Api.PostAsync("RegisterDevice", new { ProductKey = productKey, DeviceName = $"light-{i}" })).Ok().Data;
            names.Add(device.GetProperty("DeviceName").GetString()!);
            var sim = C.Device(new SimDeviceSpec(new DeviceKey(productKey, names[^1]), device.GetProperty("DeviceSecret").GetString()!));
            Assert.True(await sim.ConnectAsync());
        }
        foreach (var name in names)
            await C.WaitForAsync(async () => (await Api.GetAsync("QueryDeviceDetail", new { ProductKey = productKey, DeviceName = name })).Ok()
                .Data.TryGetProperty("FirmwareVersion", out var v) && v.GetString() == "1.0.0", what: $"{name} to report its version");

        // The package: uploaded to the console's own store, then created from its FirmwareUrl; it needs verifying.
        var content = RandomNumberGenerator.GetBytes(64 * 1024);
        var (url, uploaded) = await Api.UploadAsync(content);
        Assert.Equal(200, uploaded);
        var firmwareId = (await Api.PostAsync("CreateOTAFirmware", new
        {
            ProductKey = productKey, FirmwareName = "lights-2", DestVersion = "2.0.0", FirmwareUrl = url,
            FirmwareSign = Convert.ToHexStringLower(MD5.HashData(content)), FirmwareSize = content.Length,
        })).Ok().Data.GetProperty("FirmwareId").GetString()!;
        (await Api.PostAsync("CreateOTAStaticUpgradeJob", new { FirmwareId = firmwareId, ProductKey = productKey, TargetSelection = "ALL" }))
            .Refused(400, "FirmwareNotVerified");

        var verifyJob = (await Api.PostAsync("CreateOTAVerifyJob", new { FirmwareId = firmwareId, ProductKey = productKey, TargetDeviceName = new[] { names[0] } }))
            .Ok().Data.GetProperty("JobId").GetString()!;
        await C.WaitForAsync(async () => (await Api.GetAsync("QueryOTAFirmware", new { FirmwareId = firmwareId })).Ok()["FirmwareInfo"].GetProperty("Status").GetInt32() == 1,
            what: "the package to be verified");

        // The batch, and the script's polling loop.
        var jobId = (await Api.PostAsync("CreateOTAStaticUpgradeJob", new
        {
            FirmwareId = firmwareId, ProductKey = productKey, TargetSelection = "ALL", MaximumPerMinute = 60, Tag = new[] { new { Key = "wave", Value = "1" } },
        })).Ok().Data.GetProperty("JobId").GetString()!;
        var statuses = new Dictionary<string, string>();
        await C.WaitForAsync(async () =>
        {
            statuses.Clear();
            for (var page = 1; ; page++)
            {
                var answer = (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, CurrentPage = page, PageSize = 2 })).Ok();
                foreach (var t in answer.Data.GetProperty("SimpleOTATaskInfo").EnumerateArray())
                    statuses[t.GetProperty("DeviceName").GetString()!] = t.GetProperty("TaskStatus").GetString()!;
                if (page >= answer["PageCount"].GetInt32())
                    break;
            }
            return statuses.Count == 4 && statuses.Values.All(s => s == "SUCCEEDED");
        }, within: TimeSpan.FromSeconds(60), what: "every task to succeed");

        // The verified device was on 2.0.0 already; the batch updated the other four.
        Assert.Equal(names.Skip(1).Order(), statuses.Keys.Order());
        var byFirmware = (await Api.GetAsync("ListOTAJobByFirmware", new { FirmwareId = firmwareId, CurrentPage = 1, PageSize = 10 })).Ok();
        Assert.Equal([jobId, verifyJob], byFirmware.Data.GetProperty("SimpleOTAJobInfo").EnumerateArray().Select(j => j.GetProperty("JobId").GetString()));
        var byDevice = (await Api.GetAsync("ListOTAJobByDevice", new { FirmwareId = firmwareId, ProductKey = productKey, DeviceName = names[0], CurrentPage = 1, PageSize = 10 })).Ok();
        Assert.Equal([verifyJob], byDevice.Data.GetProperty("SimpleOTAJobInfo").EnumerateArray().Select(j => j.GetProperty("JobId").GetString()));
        var job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        Assert.Equal("COMPLETED", job.GetProperty("JobStatus").GetString());
        Assert.True(job.TryGetProperty("UtcEndTime", out _));
        Assert.Equal("wave", job.GetProperty("Tags").GetProperty("OtaTagDTO")[0].GetProperty("Key").GetString());
        foreach (var name in names)
            Assert.Equal("2.0.0", (await Api.GetAsync("QueryDeviceDetail", new { ProductKey = productKey, DeviceName = name })).Ok().Data.GetProperty("FirmwareVersion").GetString());
    }
}
