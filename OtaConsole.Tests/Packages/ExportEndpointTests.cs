using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Packages;

public sealed class ExportEndpointTests
{
    [Fact]
    public async Task The_device_list_exports_as_CSV_with_the_filter_applied()
    {
        await using var host = await ConsoleHost.StartAsync();
        await host.ProductAsync();
        await host.RegisterAsync(3, prefix: "@cam");
        var p = await host.PackageAsync();
        var batch = await host.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = p.Id, Name = "csv", Target = TargetSelection.All });
        await host.Engine.CancelTaskAsync(Actor.System, (await host.TaskAsync(batch.BatchId, "@cam-001")).Id);

        using var http = await host.SignedInClientAsync();
        var all = await http.GetAsync($"/ota/batches/{batch.BatchId}/devices.csv");
        Assert.Equal("text/csv", all.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", all.Content.Headers.ContentDisposition!.ToString());
        var lines = (await all.Content.ReadAsStringAsync()).TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length); // header + 3 devices
        // A name a spreadsheet would take for a formula is defused.
        Assert.Equal("'@cam-000", lines[1].Split(',')[1]);

        var canceled = await http.GetStringAsync($"/ota/batches/{batch.BatchId}/devices.csv?status=Canceled");
        var rows = canceled.TrimEnd().Split('\n');
        Assert.Equal(2, rows.Length);
        Assert.Contains("-001", rows[1]);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/ota/batches/nope/devices.csv")).StatusCode);
        // Without a session the export answers 401, not the file and not a sign-in page.
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await host.Http.GetAsync($"{host.BaseUrl}/ota/batches/{batch.BatchId}/devices.csv")).StatusCode);
    }

    [Fact]
    public async Task A_batchs_names_that_were_not_devices_download_as_CSV()
    {
        await using var host = await ConsoleHost.StartAsync();
        await host.ProductAsync();
        await host.RegisterAsync(2, prefix: "cam");
        var p = await host.PackageAsync();
        var batch = await host.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest
        {
            PackageId = p.Id, Target = TargetSelection.Specific, DeviceNames = ["cam-000", "=ghost", "typo-1"],
        });

        using var http = await host.SignedInClientAsync();
        var csv = await http.GetAsync($"/ota/batches/{batch.BatchId}/unknown-devices.csv");

        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal(["Device name", "'=ghost", "typo-1"], (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').TrimEnd().Split("\r\n"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/ota/batches/nope/unknown-devices.csv")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await host.Http.GetAsync($"{host.BaseUrl}/ota/batches/{batch.BatchId}/unknown-devices.csv")).StatusCode);
    }

    [Fact]
    public async Task The_audit_log_exports_as_CSV_for_an_admin()
    {
        await using var host = await ConsoleHost.StartAsync();
        using var http = await host.SignedInClientAsync();
        var lines = (await http.GetStringAsync("/audit.csv")).TrimStart('\uFEFF').TrimEnd().Split("\r\n");

        Assert.Equal("ID,Time (UTC),Actor kind,Actor,Actor ID,Address,Action,Target type,Target ID,Succeeded,Error,Details", lines[0]);
        Assert.True(lines.Skip(1).Any(l => l.Contains(",operator.sign-in,operator,", StringComparison.Ordinal) && l.Contains(",yes,", StringComparison.Ordinal)), string.Join("\n", lines));
    }
}
