using System.Text;
using OtaConsole.Core.Analytics;
using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Rollout;

/// <summary>The read side pages use: device list paging, filters, sorts, CSV; package devices; analytics.</summary>
public sealed class QueryTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private BatchQueries Batches => new(_h.Database);
    private PackageQueries Packages => new(_h.Database);
    private AnalyticsService Analytics => new(_h.Database);

    public void Dispose() => _h.Dispose();

    /// <summary>12 devices: 0-3 succeeded, 4-5 failed, 6 in progress, 7-11 pushed, in a batch of 2.0.0.</summary>
    private async Task<(UpdatePackage Package, string BatchId)> MixedAsync()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(12);
        var p = await _h.PackageAsync();
        var batchId = (await _h.BatchAsync(p.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 4; i++)
            await _h.VersionAsync($"dev-{i:D3}", "2.0.0");
        await _h.ProgressAsync("dev-004", -2);
        await _h.ProgressAsync("dev-005", -3);
        await _h.ProgressAsync("dev-006", 42);
        return (p, batchId);
    }

    [Fact]
    public async Task The_device_list_pages_filters_by_status_and_counts_from_the_batch()
    {
        var (_, batchId) = await MixedAsync();

        var all = await Batches.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { PageSize = 5 });
        Assert.Equal(12, all.Total);
        Assert.Equal(["dev-000", "dev-001", "dev-002", "dev-003", "dev-004"], all.Items.Select(r => r.DeviceName));
        var page3 = await Batches.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { PageSize = 5, Page = 2 });
        Assert.Equal(["dev-010", "dev-011"], page3.Items.Select(r => r.DeviceName));

        var failed = await Batches.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Status = OtaTaskStatus.Failed });
        Assert.Equal(2, failed.Total);
        Assert.Equal(["-2", "-3"], failed.Items.Select(r => r.FailureCode));
    }

    [Fact]
    public async Task The_device_list_searches_names_anywhere_and_treats_wildcards_literally()
    {
        var (_, batchId) = await MixedAsync();

        var found = await Batches.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Search = "01" });
        Assert.Equal(["dev-001", "dev-010", "dev-011"], found.Items.Select(r => r.DeviceName));
        Assert.Equal(3, found.Total);
        Assert.Equal(0, (await Batches.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Search = "%" })).Total);
        Assert.Equal(0, (await Batches.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Search = "dev_0" })).Total);
    }

    [Fact]
    public async Task Name_search_ignores_case_on_every_database()
    {
        var (_, batchId) = await MixedAsync(); // dev-000 … dev-011

        var found = await Batches.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Search = "DEV-01" });
        Assert.Equal(["dev-010", "dev-011"], found.Items.Select(r => r.DeviceName));
        var listed = await new Core.Queries.DeviceQueries(_h.Database).ListAsync(Actor.System, EngineHarness.ProductKey, "Dev-00", null, 0, 50);
        Assert.Equal(10, listed.Total);
    }

    [Theory]
    [InlineData(TaskSort.Progress, SortDirection.Descending, "dev-003")] // 100 %, newest first among equals
    [InlineData(TaskSort.DeviceName, SortDirection.Descending, "dev-011")]
    [InlineData(TaskSort.Created, SortDirection.Ascending, "dev-000")]
    public async Task The_device_list_sorts(TaskSort sort, SortDirection direction, string first)
    {
        var (_, batchId) = await MixedAsync();
        var page = await Batches.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Sort = sort, Direction = direction });
        Assert.Equal(first, page.Items[0].DeviceName);
        if (sort == TaskSort.Progress)
            Assert.Equal(page.Items.Select(r => r.Progress).OrderDescending(), page.Items.Select(r => r.Progress));
    }

    [Fact]
    public async Task The_csv_export_holds_every_filtered_row_in_the_consoles_words_and_defuses_only_free_text()
    {
        var (_, batchId) = await MixedAsync();
        using var stream = new MemoryStream();

        await OtaConsole.Endpoints.CsvFiles.DeviceListAsync(Batches.AllRowsAsync(Actor.System, new DeviceListQuery(batchId) { Status = OtaTaskStatus.Failed }), stream, default);

        var lines = Encoding.UTF8.GetString(stream.ToArray()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("Task ID,Device name,Module,Status,Alibaba status,Progress (%),Source version,Destination version,Failure code,Failure reason,Retries,Last update (UTC)", lines[0]);
        // A failure code is a number, not defused; the status is the console's label, with Alibaba's name beside it.
        Assert.Contains(",dev-004,default,Update Failed,FAILED,0,1.0.0,2.0.0,-2,download failed,0,", lines[1]);
        Assert.Matches(@",\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", lines[1]);
        Assert.Equal("'=cmd()", OtaConsole.Endpoints.CsvFiles.FreeText("=cmd()"));
        Assert.Equal("'@cam", OtaConsole.Endpoints.CsvFiles.FreeText("@cam"));
    }

    [Fact]
    public async Task A_timeline_lists_every_line_of_a_task_in_order()
    {
        var (_, batchId) = await MixedAsync();
        var task = await _h.TaskAsync(batchId, "dev-004");

        var timeline = await Batches.TimelineAsync(Actor.System, task.Id);

        Assert.Equal(["pushed", "download failed"], timeline!.Events.Select(e => e.Detail));
        Assert.Null(await Batches.TimelineAsync(Actor.System, 987654));
    }

    [Fact]
    public async Task The_package_device_list_shows_each_device_once_by_its_latest_task()
    {
        var (p, batchId) = await MixedAsync();
        var failed = await _h.TaskAsync(batchId, "dev-004");
        await _h.Engine.ReupgradeTasksAsync(Actor.System, batchId, [failed.Id]);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync("dev-004", "2.0.0");

        var devices = await Packages.DevicesAsync(Actor.System, p.Id, null, 0, 50);
        var counts = await Packages.DeviceCountsAsync(Actor.System, p.Id);

        Assert.Equal(12, devices.Total);
        Assert.Equal(OtaTaskStatus.Succeeded, devices.Items.Single(d => d.DeviceName == "dev-004").Status);
        Assert.Equal(new PackageDeviceCounts(12, 5, 1, 0), counts);
    }

    [Fact]
    public async Task Version_distribution_counts_devices_and_merges_all_but_the_top_five()
    {
        await _h.ProductAsync();
        var mix = new (string Version, int Devices)[] { ("1.0", 5), ("1.1", 4), ("1.2", 3), ("1.3", 3), ("1.4", 2), ("1.5", 1), ("1.6", 1) };
        foreach (var (version, count) in mix)
            await _h.DevicesAsync(count, version, prefix: "v" + version.Replace(".", "", StringComparison.Ordinal));
        await _h.DevicesAsync(2, version: null, prefix: "silent");

        var all = await Analytics.VersionDistributionAsync(Actor.System, EngineHarness.ProductKey, OtaModule.Default);
        var bars = AnalyticsService.TopFiveAndOthers(all);

        Assert.Equal(mix.Select(m => (m.Version, m.Devices)), all.Select(v => (v.Version, v.Devices)));
        Assert.Equal(["1.0", "1.1", "1.2", "1.3", "1.4", AnalyticsService.Others], bars.Select(b => b.Version));
        Assert.Equal(2, bars[^1].Devices);
        Assert.Equal(5.0 / 19, all[0].Share(19), 6);
        Assert.Equal(2, await Analytics.NotReportedAsync(Actor.System, EngineHarness.ProductKey, OtaModule.Default));
        Assert.Equal(0, await Analytics.NotReportedAsync(Actor.NoOne, EngineHarness.ProductKey, OtaModule.Default));
        var devices = await Analytics.DeviceVersionsAsync(Actor.System, EngineHarness.ProductKey, OtaModule.Default, "silent", 0, 10);
        Assert.Equal([new DeviceVersionRow("silent-000", null), new DeviceVersionRow("silent-001", null)], devices.Items);
    }

    [Fact]
    public async Task Success_rate_and_source_versions_cover_all_batches_or_one()
    {
        var (p, batchId) = await MixedAsync();
        await _h.DevicesAsync(2, "0.9", prefix: "old");
        var second = (await _h.BatchAsync(p.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["old-000", "old-001"] })).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync("old-000", "2.0.0");

        Assert.Equal(new SuccessRate(5, 2), await Analytics.SuccessRateAsync(Actor.System, p.Id));
        Assert.Equal(new SuccessRate(1, 0), await Analytics.SuccessRateAsync(Actor.System, p.Id, second));
        // Only updates that ended count, by outcome: the cancelled one and those still pushed or in upgrade do not.
        await _h.Engine.CancelTaskAsync(Actor.System, (await _h.TaskAsync(batchId, "dev-007")).Id);
        Assert.Equal([new SourceOutcome("1.0.0", 4, 2), new SourceOutcome("0.9", 1, 0)], await Analytics.SourceVersionsAsync(Actor.System, p.Id));
        Assert.Equal([new SourceOutcome("0.9", 1, 0)], await Analytics.SourceVersionsAsync(Actor.System, p.Id, second));
    }
}
