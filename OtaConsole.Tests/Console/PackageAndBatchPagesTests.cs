using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Components.Ota;
using OtaConsole.Components.Shared;
using OtaConsole.Components.Pages;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Console;

public sealed class PackageDetailsPageTests : ConsoleTestContext
{
    private async Task<UpdatePackage> RunningAndFinishedAsync()
    {
        await H.ProductAsync();
        await H.DevicesAsync(3);
        var p = await H.PackageAsync(udi: "{\"ota_notice\":\"hello\"}");
        var finished = await H.BatchAsync(p.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["dev-000"] });
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.VersionAsync("dev-000", "2.0.0");
        await H.BatchAsync(p.Id, r => r with { Name = "rolling", Target = TargetSelection.Specific, DeviceNames = ["dev-001", "dev-002"], PushRate = PushRate.Constant(10) });
        return p;
    }

    [Fact]
    public async Task The_package_device_list_filters_by_status_names_each_batch_and_keeps_its_place_in_the_address()
    {
        var p = await RunningAndFinishedAsync();
        var nav = Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo($"/ota/packages/{p.Id}?tab=devices&status=Succeeded");

        var page = RenderInHost<PackageDetails>(x => x.Add(t => t.PackageId, p.Id));

        page.WaitForAssertion(() => Assert.Equal(["dev-000"], page.FindAll("td.package-device").Select(td => td.TextContent.Trim())));
        page.Find(".filter-all").Click();
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("td.package-device").Count));
        Assert.DoesNotContain("status=", nav.Uri);
        Assert.Contains("tab=devices", nav.Uri);
        var rolling = page.FindAll(".package-devices-table tbody tr").Single(r => r.TextContent.Contains("dev-001"));
        Assert.Equal("rolling", rolling.QuerySelector(".package-device-batch")!.TextContent.Trim());

        page.Find(".filter-Queued").Click();
        page.WaitForAssertion(() => Assert.Contains("status=Queued", nav.Uri));
        page.WaitForAssertion(() => Assert.Equal(["dev-001", "dev-002"], page.FindAll("td.package-device").Select(td => td.TextContent.Trim())));

        // Back to another view through the address: another tab.
        nav.NavigateTo($"/ota/packages/{p.Id}?tab=info");
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("td.package-device")));
    }

    [Fact]
    public async Task Deleting_a_package_asks_once_and_is_refused_with_the_reason_while_a_batch_of_it_runs()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var idle = await H.PackageAsync("2.0.0");
        var busy = await H.PackageAsync("3.0.0");
        await H.BatchAsync(busy.Id);

        var page = RenderInHost<PackageDetails>(x => x.Add(t => t.PackageId, busy.Id));
        page.WaitForElement("button.delete-package").Click();
        page.WaitForElement(".mud-dialog");
        Assert.Contains($"Delete {busy.Name}?", page.Find(".mud-dialog").TextContent);
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Delete").Click();
        page.WaitForAssertion(() => Assert.Contains("running batch", page.Find(".mud-snackbar").TextContent));
        Assert.NotNull(await H.Packages.FindAsync(Actor.System, busy.Id));

        page.Render(h => h.AddChildContent<PackageDetails>(x => x.Add(t => t.PackageId, idle.Id)));
        page.WaitForAssertion(() => Assert.Equal(idle.Name, page.Find(".package-title").TextContent));
        page.Find("button.delete-package").Click();
        page.WaitForElement(".mud-dialog");
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Delete").Click();
        page.WaitForAssertion(() => Assert.Null(H.Packages.FindAsync(Actor.System, idle.Id).Result));
        Assert.EndsWith("/ota", Services.GetRequiredService<NavigationManager>().Uri);
    }

    [Fact]
    public async Task A_link_to_another_package_shows_that_package_and_its_batches()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var first = await H.PackageAsync("2.0.0");
        var second = await H.PackageAsync("3.0.0");
        var secondBatch = (await H.BatchAsync(second.Id, r => r with { Name = "second-rollout" })).BatchId;
        var page = RenderInHost<PackageDetails>(x => x.Add(t => t.PackageId, first.Id));
        page.WaitForAssertion(() => Assert.Equal(first.Name, page.Find(".package-title").TextContent));
        page.WaitForAssertion(() => Assert.DoesNotContain(page.FindAll(".batches-table tbody tr"), r => r.TextContent.Contains("second-rollout")));

        // As the router does for a link: the same page, a new route parameter.
        page.Render(h => h.AddChildContent<PackageDetails>(x => x.Add(t => t.PackageId, second.Id)));

        page.WaitForAssertion(() => Assert.Equal(second.Name, page.Find(".package-title").TextContent));
        page.WaitForAssertion(() => Assert.Single(page.FindAll(".batches-table tbody tr"), r => r.TextContent.Contains("second-rollout")));
        Assert.Contains(secondBatch, page.Markup);
    }

    [Fact]
    public async Task Batch_Management_offers_Edit_only_while_In_upgrade_and_Cancel_until_finished()
    {
        var p = await RunningAndFinishedAsync();
        var page = RenderInHost<BatchManagementTab>(x => x.Add(t => t.PackageId, p.Id));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".batches-table tbody tr").Count));
        var rows = page.FindAll(".batches-table tbody tr");
        var running = rows.Single(r => r.TextContent.Contains("rolling"));
        var done = rows.Single(r => !r.TextContent.Contains("rolling"));
        Assert.Contains("In upgrade", running.TextContent);
        Assert.NotNull(running.QuerySelector("button.edit-batch"));
        Assert.NotNull(running.QuerySelector("button.cancel-batch"));
        Assert.Contains("Completed", done.TextContent);
        Assert.Null(done.QuerySelector("button.edit-batch"));
        Assert.Null(done.QuerySelector("button.cancel-batch"));
        Assert.Contains("Batch Update", running.TextContent);
    }

    [Fact]
    public async Task Cancelling_a_static_batch_explains_what_it_cancels_and_does_it()
    {
        var p = await RunningAndFinishedAsync();
        var page = RenderInHost<BatchManagementTab>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement("button.cancel-batch").Click();

        page.WaitForAssertion(() => Assert.Contains("Pending Confirmation, To Be Pushed or Pushed", page.Find(".cancel-explanation").TextContent));
        Assert.Empty(page.FindAll(".cancel-tasks"));
        page.Find("button.confirm-cancel").Click();

        page.WaitForAssertion(() => Assert.Contains("Canceled", page.FindAll(".batches-table tbody tr").Single(r => r.TextContent.Contains("rolling")).TextContent));
    }

    [Fact]
    public async Task Cancelling_a_dynamic_batch_offers_to_cancel_its_tasks_too()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var batch = await H.BatchAsync(p.Id, r => r with { Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"] });
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.ProgressAsync("dev-000", 30);
        var page = RenderInHost<BatchManagementTab>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement("button.cancel-batch").Click();

        page.WaitForAssertion(() => Assert.Contains("dynamic batch's policy", page.Find(".cancel-explanation").TextContent));
        page.Find(".cancel-tasks input").Change(true);
        page.Find("button.confirm-cancel").Click();

        page.WaitForAssertion(() => Assert.Equal(OtaTaskStatus.Canceled, H.TaskAsync(batch.BatchId, "dev-000").Result.Status));
    }

    [Fact]
    public async Task The_device_list_tab_counts_updated_failed_and_cancelled_devices()
    {
        await H.ProductAsync();
        await H.DevicesAsync(4);
        var p = await H.PackageAsync();
        var b = await H.BatchAsync(p.Id);
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.VersionAsync("dev-000", "2.0.0");
        await H.ProgressAsync("dev-001", -1);
        await H.Engine.CancelTaskAsync(Actor.System, (await H.TaskAsync(b.BatchId, "dev-002")).Id);

        var page = RenderInHost<PackageDevicesTab>(x => x.Add(t => t.PackageId, p.Id));

        page.WaitForAssertion(() => Assert.Equal("4", page.Find(".count-devices").TextContent));
        Assert.Equal(("1", "1", "1"), (page.Find(".count-succeeded").TextContent, page.Find(".count-failed").TextContent, page.Find(".count-canceled").TextContent));
        page.WaitForAssertion(() => Assert.Equal(4, page.FindAll(".package-devices-table tbody tr").Count));
        Assert.Single(page.FindAll("button.cancel-device"));

        // Cancel asks first, naming the device.
        page.Find("button.cancel-device").Click();
        page.WaitForElement(".mud-dialog");
        Assert.Contains("The update of dev-003 ends as Canceled", page.Find(".mud-dialog").TextContent);
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Cancel the update")).Click();
        page.WaitForAssertion(() => Assert.Equal(OtaTaskStatus.Canceled, H.TaskAsync(b.BatchId, "dev-003").Result.Status));
        page.WaitForAssertion(() => Assert.Equal("2", page.Find(".count-canceled").TextContent));
    }

    [Fact]
    public async Task Package_information_shows_every_field_and_a_signed_download_link()
    {
        await H.ProductAsync();
        var p = await H.PackageAsync(udi: "custom-info-xyz");
        var page = RenderInHost<PackageInfoTab>(x => x.Add(t => t.Package, p));

        Assert.Contains(p.Id, page.Markup);
        Assert.Equal(p.Sign, page.Find(".package-sign").TextContent);
        Assert.Contains("MD5", page.Markup);
        Assert.Contains("custom-info-xyz", page.Find(".package-udi").TextContent);
        Assert.StartsWith($"http://console.test/ota/download/{p.Id}/0/", page.Find("a.download").GetAttribute("href"));
        Assert.Contains("sig=", page.Find("a.download").GetAttribute("href"));
    }

    [Fact]
    public async Task Data_analysis_charts_the_top_five_versions_and_the_success_rate()
    {
        await H.ProductAsync();
        foreach (var (v, n) in new[] { ("1.0", 4), ("1.1", 3), ("1.2", 2), ("1.3", 1), ("1.4", 1), ("1.5", 1), ("1.6", 1) })
            await H.DevicesAsync(n, v, prefix: "v" + v.Replace(".", "", StringComparison.Ordinal));
        await H.DevicesAsync(2, version: null, prefix: "silent");
        var p = await H.PackageAsync("2.0.0");
        var b = await H.BatchAsync(p.Id, r => r with { SrcVersions = ["1.0"] });
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.VersionAsync("v10-000", "2.0.0");
        await H.VersionAsync("v10-001", "2.0.0");
        await H.ProgressAsync("v10-002", -4);
        await H.Engine.CancelTaskAsync(Actor.System, (await H.TaskAsync(b.BatchId, "v10-003")).Id);

        var page = RenderInHost<DataAnalysisTab>(x => x.Add(t => t.Package, p));

        page.WaitForAssertion(() => Assert.Equal(7, page.FindAll(".versions-chart path.mud-chart-bar").Count)); // top five, Others and Not reported
        var table = page.FindAll(".versions-table tbody tr").Select(r => r.TextContent).ToList();
        Assert.Equal(9, table.Count); // 1.0 … 1.6, 2.0.0 and the devices that never reported
        Assert.StartsWith("1.1", table[0]);
        Assert.Equal(["Not reported", "2", "13.33%"], page.FindAll(".versions-table tr.not-reported td").Select(td => td.TextContent.Trim()));
        // Round ticks and titled axes.
        Assert.Contains("Devices", page.Find(".versions-chart").TextContent);
        Assert.Contains("Version", page.Find(".versions-chart").TextContent);
        Assert.Equal("66.67%", page.Find(".success-rate").TextContent.Trim());
        Assert.Equal(("2", "1"), (page.Find(".rate-succeeded").TextContent, page.Find(".rate-failed").TextContent));
        Assert.Equal(2, page.FindAll(".rate-chart path.mud-chart-serie").Count);
        // Ended updates by outcome: the cancelled one is not an update that happened.
        Assert.Equal(["1.0", "2", "1", "3", "100%"], page.FindAll(".sources-table tbody tr td").Select(td => td.TextContent.Trim()));
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(12, 5)]
    [InlineData(12_600, 5_000)]
    [InlineData(1_280, 500)]
    [InlineData(99, 20)]
    public void Chart_ticks_are_round(double max, double step) => Assert.Equal(step, ChartAxes.Step(max));

    [Fact]
    public async Task Data_analysis_follows_devices_live()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2, "1.0");
        var p = await H.PackageAsync("2.0.0");
        var page = RenderInHost<DataAnalysisTab>(x => x.Add(t => t.Package, p));
        page.WaitForAssertion(() => Assert.Single(page.FindAll(".versions-table tbody tr")));

        await H.VersionAsync("dev-001", "1.9");

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".versions-table tbody tr").Count));
    }

    [Fact]
    public void A_missing_package_says_so()
    {
        var page = RenderInHost<PackageDetails>(x => x.Add(t => t.PackageId, "nope"));
        page.WaitForAssertion(() => Assert.Contains("Update package nope does not exist", page.Markup));
    }
}

public sealed class NewBatchPageTests : ConsoleTestContext
{
    [Fact]
    public async Task A_source_version_is_added_by_Enter_or_by_Add_without_leaving_the_field()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));

        // Typed, not yet left: Add takes it.
        page.WaitForElement(".source-version input").Input("0.9");
        page.Find("button.add-source").Click();
        page.WaitForAssertion(() => Assert.Equal(["0.9"], page.FindAll(".source-versions .mud-chip").Select(c => c.TextContent.Trim())));

        page.Find(".source-version input").Input("1.0.0");
        page.Find(".source-version input").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        page.WaitForAssertion(() => Assert.Equal(["0.9", "1.0.0"], page.FindAll(".source-versions .mud-chip").Select(c => c.TextContent.Trim())));
    }

    [Fact]
    public async Task An_out_of_range_push_rate_is_named_with_its_range_and_nothing_starts()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".rate-per-minute input").Input("5");

        page.WaitForAssertion(() => Assert.Equal("10-100,000 devices a minute, not 5.", page.Find(".rate-per-minute .mud-input-helper-text").TextContent.Trim()));
        Assert.True(page.Find("button.start-batch").HasAttribute("disabled"));
        Assert.NotNull(page.Find(".fix-fields"));
        Assert.DoesNotContain("MaximumPerMinute", page.Markup);
        await using var db = H.Database.CreateDbContext();
        Assert.Empty(db.Batches);
    }

    [Fact]
    public async Task The_cores_refusals_are_shown_beside_their_fields_by_the_forms_labels()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        SelectTarget(page, "Phased");
        page.WaitForElement(".gray-percent input").Change("250");
        page.Find("button.preview-button").Click();

        page.WaitForAssertion(() => Assert.StartsWith("The gray percentage is above 0 and at most 100", page.Find(".gray-percent .mud-input-helper-text").TextContent.Trim()));
        Assert.StartsWith("Percentage of devices: The gray percentage", page.Find(".form-errors li").TextContent.Trim());
        Assert.DoesNotContain("GrayPercent", page.Markup);
        Assert.DoesNotContain("got", page.Find(".form-errors").TextContent);
    }

    [Fact]
    public async Task The_preview_counts_devices_offline_skipped_and_the_push_time()
    {
        await H.ProductAsync();
        await H.DevicesAsync(6, online: true);
        await H.DevicesAsync(4, online: false, prefix: "off");
        await H.DevicesAsync(2, "2.0.0", prefix: "done");
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".rate-per-minute input").Input("60");
        page.Find("button.preview-button").Click();

        page.WaitForAssertion(() => Assert.Equal("10", page.Find(".preview-tasks").TextContent));
        Assert.Equal("4", page.Find(".preview-offline").TextContent);
        Assert.Equal("2", page.Find(".preview-skipped").TextContent);
        Assert.Equal("6 s", page.Find(".preview-duration").TextContent);
    }

    [Fact]
    public async Task The_previews_rows_add_up_to_the_matching_devices_each_counted_once()
    {
        await H.ProductAsync();
        await H.DevicesAsync(6);
        await H.DevicesAsync(2, "2.0.0", prefix: "done");
        var p = await H.PackageAsync();
        await H.BatchAsync(p.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["dev-000"] }); // dev-000 is busy with it
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement("button.preview-button").Click();

        page.WaitForAssertion(() => Assert.Equal("8", page.Find(".preview-targets").TextContent));
        Assert.Equal(("5", "0", "1", "2"), (page.Find(".preview-online").TextContent, page.Find(".preview-offline").TextContent,
            page.Find(".preview-busy").TextContent, page.Find(".skipped-AlreadyOnDestination").TextContent));
        Assert.Equal("6", page.Find(".preview-tasks").TextContent);

        // A phased batch counts the devices left out of its sample.
        SelectTarget(page, "Phased");
        page.WaitForElement(".gray-percent input").Change("50");
        page.Find("button.preview-button").Click();
        page.WaitForAssertion(() => Assert.Equal("3", page.Find(".skipped-NotSampled").TextContent));
        var rows = new[] { ".preview-online", ".preview-offline", ".preview-busy", ".skipped-AlreadyOnDestination", ".skipped-NotSampled" }
            .Sum(c => int.Parse(page.Find(c).TextContent, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(8, rows);
        Assert.Equal("8", page.Find(".preview-targets").TextContent);
    }

    [Fact]
    public async Task Specified_devices_report_unknown_names_back()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        SelectTarget(page, "Specified devices");
        page.WaitForElement(".device-names textarea").Change("dev-000\nghost-1, bad/name");
        page.Find("button.preview-button").Click();

        page.WaitForAssertion(() => Assert.Contains("2 name(s) are not devices of this product: bad/name, ghost-1", page.Find(".unknown-names").TextContent));
        Assert.Equal("1", page.Find(".preview-tasks").TextContent);
    }

    [Fact]
    public async Task The_preview_follows_the_form_once_it_rests_without_pressing_Preview()
    {
        await H.ProductAsync();
        await H.DevicesAsync(5);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".rate-per-minute input");
        H.Time.Advance(NewBatch.PreviewDelay);
        page.WaitForAssertion(() => Assert.Equal("5", page.Find(".preview-tasks").TextContent));

        SelectTarget(page, "Specified devices");
        page.WaitForElement(".device-names textarea").Change("dev-000, dev-001");
        // Not before the form has rested: a change starts the wait again.
        H.Time.Advance(NewBatch.PreviewDelay / 2);
        Assert.Equal("5", page.Find(".preview-tasks").TextContent);
        H.Time.Advance(NewBatch.PreviewDelay);

        page.WaitForAssertion(() => Assert.Equal("2", page.Find(".preview-tasks").TextContent));
    }

    [Fact]
    public async Task Starting_asks_first_with_the_previews_numbers_and_not_yet_writes_nothing()
    {
        await H.ProductAsync();
        await H.DevicesAsync(4);
        await H.DevicesAsync(1, online: false, prefix: "off");
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".rate-per-minute input").Input("30");

        page.Find("button.start-batch").Click();

        page.WaitForAssertion(() => Assert.Contains("Push 2.0.0 to 5 devices at 30 a minute: about 8 s. 1 of them is offline and gets it when it comes online.",
            page.Find(".mud-dialog").TextContent));
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Not yet")).Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll(".mud-dialog")));
        await using var db = H.Database.CreateDbContext();
        Assert.Empty(db.Batches);
    }

    [Fact]
    public async Task A_batch_can_be_started_with_an_automatic_pause_its_fields_checked_in_the_forms_words()
    {
        await H.ProductAsync();
        await H.DevicesAsync(3);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".auto-pause input").Change(true);

        page.WaitForElement(".rule-threshold input").Input("150");
        page.WaitForAssertion(() => Assert.Equal("0-100 %, 2 decimals at most.", page.Find(".rule-threshold .mud-input-helper-text").TextContent.Trim()));
        Assert.True(page.Find("button.start-batch").HasAttribute("disabled"));
        page.Find(".rule-threshold input").Input("2.5");
        page.Find(".rule-min-ended input").Input("50");
        page.WaitForAssertion(() => Assert.False(page.Find("button.start-batch").HasAttribute("disabled")));
        page.Find("button.start-batch").Click();
        page.WaitForAssertion(() => Assert.Contains("It pauses by itself when failures ≥ 2.5 % of at least 50 ended updates.", page.Find(".mud-dialog").TextContent));
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Start")).Click();

        var nav = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Contains("/ota/batches/", nav.Uri));
        await using var db = H.Database.CreateDbContext();
        var rule = db.Batches.Single().FailureRules.Single();
        Assert.Equal((FailureKind.All, 2.5m, 50), (rule.Failures, rule.ThresholdPercent, rule.MinEnded));
    }

    [Fact]
    public async Task A_batch_can_be_started_with_a_maintenance_window_in_the_operators_zone()
    {
        Zone = OperatorTime.For("Europe/Berlin");
        await H.ProductAsync();
        await H.DevicesAsync(3);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".windowed input").Change(true);

        page.WaitForElement(".window-start input").Input("25:00");
        page.WaitForAssertion(() => Assert.Equal("From and To are times such as 22:00 and 04:00.", page.Find(".window-error").TextContent.Trim()));
        Assert.True(page.Find("button.start-batch").HasAttribute("disabled"));
        page.Find(".window-start input").Input("23:00");
        page.Find(".day-Sunday").Click();
        page.WaitForAssertion(() => Assert.False(page.Find("button.start-batch").HasAttribute("disabled")));
        page.Find("button.start-batch").Click();
        page.WaitForElement(".mud-dialog");
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Start")).Click();

        var nav = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Contains("/ota/batches/", nav.Uri));
        await using var db = H.Database.CreateDbContext();
        var window = db.Batches.Single().Window!;
        Assert.Equal(("Europe/Berlin", new TimeOnly(23, 0), new TimeOnly(4, 0), 6), (window.TimeZone, window.Start, window.End, window.Days.Count));
        Assert.DoesNotContain(DayOfWeek.Sunday, window.Days);
    }

    [Fact]
    public async Task Waves_are_set_in_the_form_the_preview_shows_their_sizes_and_a_bad_size_stops_the_start()
    {
        await H.ProductAsync();
        await H.DevicesAsync(200);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".waves input").Change(true);

        // 1 %, 10 % and the rest by default; the second wave waits for approval.
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll(".wave-row").Count));
        page.FindAll(".wave-approval input")[0].Change(true);
        page.FindAll(".wave-size input")[0].Input("0");
        page.WaitForAssertion(() => Assert.Contains("more than 0 and at most 100 %", page.Find(".wave-size .mud-input-helper-text").TextContent));
        Assert.True(page.Find("button.start-batch").HasAttribute("disabled"));
        page.FindAll(".wave-size input")[0].Input("5");
        page.Find("button.preview-button").Click();
        page.WaitForAssertion(() => Assert.Equal("10 · 20 · 170", page.Find(".preview-waves").TextContent));
        page.Find(".auto-pause input").Change(true);
        page.WaitForElement(".rule-scope"); // with waves, a rule may be judged per wave
        page.Find(".auto-pause input").Change(false);

        page.Find("button.start-batch").Click();
        page.WaitForElement(".mud-dialog");
        Assert.Contains("In 3 waves of 10, 20, 170 devices", page.Find(".mud-dialog").TextContent);
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Start")).Click();
        page.WaitForAssertion(() => Assert.Contains("/ota/batches/", Services.GetRequiredService<NavigationManager>().Uri));
        await using var db = H.Database.CreateDbContext();
        var waves = db.Batches.Single().Waves;
        Assert.Equal([(WaveSize.Percent, 5m, false), (WaveSize.Percent, 10m, true), (WaveSize.Rest, (decimal?)null, false)],
            waves.Select(w => (w.Size, w.Percent, w.NeedsApproval)));
        Assert.Equal((95m, 30), (waves[0].SuccessPercent, waves[0].SoakMinutes));
    }

    [Fact]
    public async Task A_cron_window_is_set_in_the_form_and_a_bad_expression_is_named_beside_its_field()
    {
        await H.ProductAsync();
        await H.DevicesAsync(3);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".windowed input").Change(true);
        page.WaitForElement(".window-by-cron input").Click();

        page.WaitForElement(".window-cron input").Input("0 22 * *");
        page.WaitForAssertion(() => Assert.StartsWith("A cron expression of 5 fields", page.Find(".window-cron .mud-input-helper-text").TextContent.Trim()));
        Assert.True(page.Find("button.start-batch").HasAttribute("disabled"));
        page.Find(".window-cron input").Input("30 1 * * SAT,SUN");
        page.Find(".window-duration input").Input("90");
        page.WaitForAssertion(() => Assert.False(page.Find("button.start-batch").HasAttribute("disabled")));
        page.Find("button.start-batch").Click();
        page.WaitForElement(".mud-dialog");
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Start")).Click();

        page.WaitForAssertion(() => Assert.Contains("/ota/batches/", Services.GetRequiredService<NavigationManager>().Uri));
        await using var db = H.Database.CreateDbContext();
        var window = db.Batches.Single().Window!;
        Assert.Equal(("UTC", "30 1 * * SAT,SUN", 90), (window.TimeZone, window.Cron, window.DurationMinutes));
    }

    [Fact]
    public async Task Starting_creates_the_batch_with_the_options_and_opens_it()
    {
        await H.ProductAsync();
        await H.DevicesAsync(3);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".rate-per-minute input").Input("500");
        page.Find(".timeout input").Change("30");
        page.Find("button.add-tag").Click();
        page.WaitForElement(".tag-key input").Input("env");
        page.Find(".tag-value input").Input("prod");
        page.Find(".batch-name input").Change("first wave");
        page.Find("button.start-batch").Click();

        // Nothing is written before the operator has read what will happen and said yes.
        var nav = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Contains("Push 2.0.0 to 3 devices at 500 a minute: in under a second.", page.Find(".mud-dialog").TextContent));
        await using (var before = H.Database.CreateDbContext())
            Assert.Empty(before.Batches);
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Start")).Click();
        page.WaitForAssertion(() => Assert.Contains("/ota/batches/", nav.Uri));
        await using var db = H.Database.CreateDbContext();
        var batch = db.Batches.Single();
        Assert.EndsWith(batch.Id, nav.Uri);
        Assert.Equal(("first wave", 500, 30, "env=prod", 3), (batch.Name, batch.PushRate.PerMinute, batch.TimeoutMinutes, $"{batch.Tags[0].Key}={batch.Tags[0].Value}", batch.Counts.Total));
    }

    private static void SelectTarget(IRenderedComponent<TestHost> page, string text)
    {
        page.Find(".mud-input-control.target-selection").MouseDown();
        page.WaitForElements(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Contains(text)).Click();
    }
}

public sealed class BatchDetailsPageTests : ConsoleTestContext
{
    private async Task<string> BatchAsync()
    {
        await H.ProductAsync();
        await H.DevicesAsync(5);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id, r => r with { Tags = [new BatchTag { Key = "k", Value = "v1" }] })).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.VersionAsync("dev-000", "2.0.0");
        await H.ProgressAsync("dev-001", -2);
        await H.ProgressAsync("dev-002", 40);
        return id;
    }

    [Fact]
    public async Task The_device_list_shows_counts_per_status_and_filters_by_them()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForAssertion(() => Assert.Equal(5, page.FindAll(".tasks-table td.task-device").Count));
        Assert.Contains("All: 5", page.Find(".filter-all").TextContent);
        Assert.Contains("Update Failed: 1", page.Find(".filter-Failed").TextContent);
        page.Find(".filter-Failed").Click();

        page.WaitForAssertion(() => Assert.Equal(["dev-001"], page.FindAll(".tasks-table td.task-device").Select(td => td.TextContent)));
        Assert.Contains("download failed", page.Find(".task-reason").TextContent);
        Assert.Contains("status=Failed", page.Find("a.export-csv").GetAttribute("href"));
    }

    [Fact]
    public async Task Each_row_offers_the_actions_its_status_allows()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForAssertion(() => Assert.Equal(5, page.FindAll(".tasks-table td.task-device").Count));

        var rows = page.FindAll(".tasks-table tbody tr").ToDictionary(r => r.QuerySelector(".task-device")!.TextContent);
        Assert.Null(rows["dev-000"].QuerySelector("button.cancel-task")); // updated
        Assert.NotNull(rows["dev-001"].QuerySelector("button.reupgrade-task")); // failed
        Assert.Null(rows["dev-001"].QuerySelector("button.cancel-task"));
        Assert.NotNull(rows["dev-002"].QuerySelector("button.cancel-task")); // in upgrade
        Assert.Null(rows["dev-002"].QuerySelector("button.reupgrade-task"));
    }

    [Fact]
    public async Task Cancelling_and_updating_again_act_on_the_task()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForAssertion(() => Assert.Equal(5, page.FindAll(".tasks-table td.task-device").Count));

        // Cancel asks once: kept, nothing changes; confirmed, the task ends.
        Row(page, "dev-002").QuerySelector("button.cancel-task")!.Click();
        page.WaitForElement(".mud-dialog");
        Assert.Contains("The update of dev-002 ends as Canceled", page.Find(".mud-dialog").TextContent);
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Keep it")).Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll(".mud-dialog")));
        Assert.Equal(OtaTaskStatus.InProgress, (await H.TaskAsync(id, "dev-002")).Status);

        Row(page, "dev-002").QuerySelector("button.cancel-task")!.Click();
        page.WaitForElement(".mud-dialog");
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Cancel the update")).Click();
        page.WaitForAssertion(() => Assert.Equal(OtaTaskStatus.Canceled, H.TaskAsync(id, "dev-002").Result.Status));
        page.WaitForAssertion(() => Assert.NotNull(Row(page, "dev-001").QuerySelector("button.reupgrade-task")));
        Row(page, "dev-001").QuerySelector("button.reupgrade-task")!.Click();
        page.WaitForAssertion(() => Assert.Equal(OtaTaskStatus.Queued, H.TaskAsync(id, "dev-001").Result.Status));
    }

    [Fact]
    public async Task A_task_timeline_tells_why_a_device_is_where_it_is()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForAssertion(() => Assert.Equal(5, page.FindAll(".tasks-table td.task-device").Count));

        Row(page, "dev-001").QuerySelector("button.view-task")!.Click();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".timeline .timeline-line").Count));
        var lines = page.FindAll(".timeline .timeline-line").Select(l => l.TextContent).ToList();
        Assert.Contains("To Be Pushed → Pushed", lines[0]);
        Assert.Contains("Pushed → Update Failed", lines[1]);
        Assert.Contains("download failed", lines[1]);
    }

    [Fact]
    public async Task Rows_follow_device_reports_live()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForAssertion(() => Assert.Contains("In upgrade: 1", page.Markup));

        await H.ProgressAsync("dev-003", 10);
        await H.VersionAsync("dev-002", "2.0.0");

        page.WaitForAssertion(() => Assert.Contains("In upgrade: 1", page.Find(".filter-InProgress").TextContent));
        page.WaitForAssertion(() => Assert.Contains("Updated: 2", page.Find(".filter-Succeeded").TextContent));
        page.WaitForAssertion(() => Assert.Contains("Updated", Row(page, "dev-002").TextContent));
    }

    [Fact]
    public async Task The_device_list_pages_and_sorts()
    {
        await H.ProductAsync();
        await H.DevicesAsync(25);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id)).BatchId;
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForAssertion(() => Assert.Equal(20, page.FindAll(".tasks-table td.task-device").Count));
        Assert.Equal("1-20 of 25", page.Find(".page-range").TextContent);
        Assert.True(page.Find("button.previous-page").HasAttribute("disabled"));

        page.Find("button.next-page").Click();
        page.WaitForAssertion(() => Assert.Equal("21-25 of 25", page.Find(".page-range").TextContent));
        Assert.Equal(["dev-020", "dev-021", "dev-022", "dev-023", "dev-024"], page.FindAll(".tasks-table td.task-device").Select(td => td.TextContent));
        Assert.True(page.Find("button.next-page").HasAttribute("disabled"));

        // Sorting again by the same column turns the order round and starts at the first page.
        page.Find("button.sort-DeviceName").Click();
        page.WaitForAssertion(() => Assert.Equal("dev-024", page.FindAll(".tasks-table td.task-device")[0].TextContent));
        Assert.Equal("1-20 of 25", page.Find(".page-range").TextContent);
        Assert.Equal("descending", page.Find("button.sort-DeviceName").GetAttribute("aria-sort"));

        page.Find("select.page-size").Change("50");
        page.WaitForAssertion(() => Assert.Equal(25, page.FindAll(".tasks-table td.task-device").Count));
        Assert.Equal("1-25 of 25", page.Find(".page-range").TextContent);
    }

    [Fact]
    public async Task A_batch_names_its_package_and_says_when_it_is_dynamic()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync(name: "Thermostat_2_0");
        var id = (await H.BatchAsync(p.Id, r => r with { Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"] })).BatchId;

        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForAssertion(() => Assert.Contains("Thermostat_2_0", page.Find(".mud-breadcrumbs").TextContent));
        Assert.DoesNotContain("Update package", page.Find(".mud-breadcrumbs").TextContent);
        Assert.Contains("Batch Update (dynamic)", page.Find(".batch-caption").TextContent);
        Assert.Contains("Thermostat_2_0", page.Find(".batch-caption").TextContent);
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Batch information")).Click();
        page.WaitForAssertion(() => Assert.Equal("Thermostat_2_0", page.Find(".batch-package").TextContent));
    }

    [Fact]
    public async Task A_specified_devices_batch_shows_the_names_that_were_not_devices_and_offers_them_for_download()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["dev-000", "ghost-1", "bad/name"] })).BatchId;

        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForAssertion(() => Assert.Equal("2 names in the list are not devices of this product and got no task: bad/name, ghost-1.", page.Find(".unknown-text").TextContent));
        Assert.Equal($"/ota/batches/{id}/unknown-devices.csv", page.Find("a.download-unknown").GetAttribute("href"));
    }

    [Fact]
    public async Task A_running_batch_shows_its_real_pace_and_about_when_it_ends()
    {
        await H.ProductAsync();
        await H.DevicesAsync(30);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) })).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(20));
        foreach (var t in (await H.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Notified))
            await H.VersionAsync(t.DeviceName, "2.0.0");
        await H.AdvanceAsync(TimeSpan.FromSeconds(40));

        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForAssertion(() => Assert.Matches(@"^Pushing 10 a minute \(rate 10\) · 20 to push · about 2 min to go \(an update takes about \d+ s\)$", page.Find(".batch-pace").TextContent));
    }

    [Fact]
    public async Task The_device_lists_view_lives_in_the_address_and_comes_back_from_it()
    {
        await H.ProductAsync();
        await H.DevicesAsync(25);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) })).BatchId;
        var nav = Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo($"/ota/batches/{id}");
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForAssertion(() => Assert.Equal("1-20 of 25", page.Find(".page-range").TextContent));

        page.Find(".filter-Queued").Click();
        page.WaitForAssertion(() => Assert.Contains("status=Queued", nav.Uri));
        page.Find("select.page-size").Change("50");
        page.WaitForAssertion(() => Assert.Contains("size=50", nav.Uri));
        page.Find("button.sort-DeviceName").Click();
        page.WaitForAssertion(() => Assert.Contains("dir=desc", nav.Uri));

        // Another address (a link, back or forward) shows its own view.
        nav.NavigateTo($"/ota/batches/{id}?search=dev-01&size=20&page=1");
        page.WaitForAssertion(() => Assert.Equal("1-10 of 10", page.Find(".page-range").TextContent));
        Assert.Equal("dev-010", page.FindAll(".tasks-table td.task-device")[0].TextContent);
        Assert.Equal("dev-01", page.Find(".task-search input").GetAttribute("value"));
        nav.NavigateTo($"/ota/batches/{id}?page=2");
        page.WaitForAssertion(() => Assert.Equal("21-25 of 25", page.Find(".page-range").TextContent));
        nav.NavigateTo($"/ota/batches/{id}?tab=info");
        page.WaitForAssertion(() => Assert.NotNull(page.Find(".batch-info")));
    }

    [Fact]
    public async Task Selected_rows_or_all_matching_are_cancelled_at_once_after_one_question_with_a_summary()
    {
        await H.ProductAsync();
        await H.DevicesAsync(30);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) })).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(1)); // dev-000 and dev-001 pushed; 28 To Be Pushed
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForAssertion(() => Assert.Equal(20, page.FindAll("input.select-task").Count));

        // Two rows by hand.
        page.FindAll("input.select-task")[0].Change(true);
        page.FindAll("input.select-task")[1].Change(true);
        page.WaitForAssertion(() => Assert.Equal("2 selected", page.Find(".bulk-count").TextContent));
        page.Find("button.bulk-cancel").Click();
        page.WaitForAssertion(() => Assert.Contains("Cancel 2 devices' updates", page.Find(".mud-dialog").TextContent));
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Cancel the updates")).Click();
        page.WaitForAssertion(() => Assert.Equal("Cancelled 2 updates.", page.Find(".bulk-result").TextContent));
        Assert.Equal(OtaTaskStatus.Canceled, (await H.TaskAsync(id, "dev-000")).Status);

        // Every To Be Pushed device, beyond the page.
        page.Find(".filter-Queued").Click();
        page.WaitForAssertion(() => Assert.Equal("1-20 of 28", page.Find(".page-range").TextContent));
        page.Find("input.select-page").Change(true);
        page.WaitForElement("button.select-all-matching").Click();
        page.WaitForAssertion(() => Assert.Equal("All 28 matching devices selected", page.Find(".bulk-count").TextContent));
        page.Find("button.bulk-cancel").Click();
        page.WaitForElement(".mud-dialog");
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Cancel the updates")).Click();

        page.WaitForAssertion(() => Assert.Equal("Cancelled 28 updates.", page.Find(".bulk-result").TextContent));
        Assert.Equal(30, (await H.TasksAsync(id)).Count(t => t.Status == OtaTaskStatus.Canceled));
    }

    [Fact]
    public async Task Retry_all_failed_updates_every_failed_device_again()
    {
        await H.ProductAsync();
        await H.DevicesAsync(3);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id)).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.ProgressAsync("dev-000", -1);
        await H.ProgressAsync("dev-001", -2);
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForElement("button.retry-failed").Click();
        page.WaitForAssertion(() => Assert.Contains("Update the 2 devices whose update failed again", page.Find(".mud-dialog").TextContent));
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Update them again")).Click();

        page.WaitForAssertion(() => Assert.Contains("Started again 2 updates.", page.Find(".mud-snackbar").TextContent));
        Assert.DoesNotContain(await H.TasksAsync(id), t => t.Status == OtaTaskStatus.Failed);
    }

    [Fact]
    public async Task Pause_shows_why_and_stops_pushing_and_Resume_starts_again()
    {
        await H.ProductAsync();
        await H.DevicesAsync(30);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) })).BatchId;
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForElement("button.pause-batch").Click();

        page.WaitForAssertion(() => Assert.Contains("paused by operator@console.test", page.Find(".pause-banner").TextContent));
        Assert.Equal("Paused", page.Find(".batch-status").TextContent.Trim());
        Assert.Empty(page.FindAll("button.pause-batch"));
        var pushed = (await H.GetBatchAsync(id)).PushedCount;
        await H.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(pushed, (await H.GetBatchAsync(id)).PushedCount);

        page.Find("button.resume-batch").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll(".pause-banner")));
        await H.AdvanceAsync(TimeSpan.FromSeconds(30));
        Assert.True((await H.GetBatchAsync(id)).PushedCount > pushed);
    }

    [Fact]
    public async Task Waves_show_as_bars_and_Start_next_wave_appears_once_the_wave_passed_and_starts_it()
    {
        await H.ProductAsync();
        await H.DevicesAsync(10);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id, r => r with
        {
            PushRate = PushRate.Constant(60),
            Waves = [new() { Size = WaveSize.Count, Count = 2, SuccessPercent = 100 }, new() { Size = WaveSize.Rest, NeedsApproval = true }],
        })).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(3));
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForAssertion(() => Assert.Equal(["Soaking", "Waiting"], page.FindAll(".wave .wave-state").Select(c => c.TextContent.Trim())));
        Assert.Contains("0 updated (0 %) of 100 % needed", page.Find(".wave-1 .wave-numbers").TextContent);
        Assert.Empty(page.FindAll("button.start-next-wave"));
        Assert.Contains("To Be Pushed (Wave 2: after wave 1)", page.Markup);

        await H.VersionAsync("dev-000", "2.0.0");
        await H.VersionAsync("dev-001", "2.0.0");
        await H.TickAsync();
        page.WaitForAssertion(() => Assert.Equal(["Passed", "Awaiting approval"], page.FindAll(".wave .wave-state").Select(c => c.TextContent.Trim())));
        page.Find("button.start-next-wave").Click();
        page.WaitForElement(".mud-dialog");
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == "Start").Click();

        page.WaitForAssertion(() => Assert.Equal(2, H.GetBatchAsync(id).Result.CurrentWave));
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("button.start-next-wave")));
        await H.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(10, (await H.GetBatchAsync(id)).PushedCount);
    }

    [Fact]
    public async Task Tasks_waiting_for_a_maintenance_window_say_when_it_opens()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var window = new MaintenanceWindow { TimeZone = "UTC", Days = [.. Enum.GetValues<DayOfWeek>()], Start = new(9, 0), End = new(10, 0) };
        var id = (await H.BatchAsync(p.Id, r => r with { Window = window })).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(5)); // 08:00: closed

        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForAssertion(() => Assert.All(page.FindAll(".task-status"), chip =>
            Assert.Equal("To Be Pushed (Maintenance window: next at 2026-11-27 09:00:00 UTC)", chip.TextContent.Trim())));
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Batch information")).Click();
        page.WaitForAssertion(() => Assert.Equal("pushes only every day 09:00-10:00 (UTC)", page.Find(".batch-window").TextContent.Trim()));
    }

    [Fact]
    public async Task Roll_back_says_what_it_will_do_then_starts_the_rollback_and_links_the_two_batches()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2, "1.0.0");
        await H.PackageAsync("1.0.0", name: "back-to-1");
        var bad = await H.PackageAsync("2.0.0");
        var id = (await H.BatchAsync(bad.Id)).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.VersionAsync("dev-000", "2.0.0");
        await H.VersionAsync("dev-001", "2.0.0");
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForElement("button.roll-back").Click();
        page.WaitForAssertion(() => Assert.Contains("2 devices back to 1.0.0", page.Find(".mud-dialog .rollback-step").TextContent));
        Assert.Equal("with back-to-1", page.Find(".rollback-package").TextContent.Trim());
        page.Find("button.confirm-rollback").Click();

        var nav = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.DoesNotContain(id, nav.Uri));
        var rollbackId = nav.Uri[(nav.Uri.LastIndexOf('/') + 1)..];
        Assert.Equal(id, (await H.GetBatchAsync(rollbackId)).RollbackOf);
        page.Render(h => h.AddChildContent<BatchDetails>(x => x.Add(t => t.BatchId, rollbackId)));
        page.WaitForAssertion(() => Assert.Contains(id, page.Find(".rollback-of").TextContent));
    }

    [Fact]
    public async Task Roll_back_offers_a_choice_where_several_packages_fit_and_uses_the_one_chosen()
    {
        await H.ProductAsync();
        await H.DevicesAsync(1, "1.0.0");
        var older = await H.PackageAsync("1.0.0", name: "back-a");
        H.Time.Advance(TimeSpan.FromSeconds(1));
        await H.PackageAsync("1.0.0", name: "back-b");
        var bad = await H.PackageAsync("2.0.0");
        var id = (await H.BatchAsync(bad.Id)).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.VersionAsync("dev-000", "2.0.0");
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForElement("button.roll-back").Click();
        page.WaitForElement(".mud-input-control.rollback-package-choice").MouseDown();
        page.WaitForElements(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Contains("back-a")).Click();
        page.Find("button.confirm-rollback").Click();

        var nav = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.DoesNotContain(id, nav.Uri));
        Assert.Equal(older.Id, (await H.GetBatchAsync(nav.Uri[(nav.Uri.LastIndexOf('/') + 1)..])).PackageId);
    }

    [Fact]
    public async Task The_automatic_pause_of_a_running_batch_is_edited_in_Batch_information()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForElement(".mud-tab");
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Batch information")).Click();
        page.WaitForElement("button.edit-rate").Click();

        page.WaitForElement(".auto-pause input").Change(true);
        page.WaitForElement(".rule-threshold input").Input("10");
        page.Find(".rule-min-ended input").Input("20");
        page.Find("button.save-batch").Click();

        page.WaitForAssertion(() => Assert.Single(H.GetBatchAsync(id).Result.FailureRules));
        var rule = (await H.GetBatchAsync(id)).FailureRules.Single();
        Assert.Equal((10m, 20), (rule.ThresholdPercent, rule.MinEnded));
        page.WaitForAssertion(() => Assert.Contains("pause when failures ≥ 10 % of at least 20 ended updates", page.Find(".batch-rules").TextContent));
    }

    [Fact]
    public async Task Sorting_by_status_follows_the_lifecycle_not_the_alphabet()
    {
        await H.ProductAsync();
        await H.DevicesAsync(5);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id)).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.VersionAsync("dev-000", "2.0.0");   // Updated
        await H.ProgressAsync("dev-001", -1);       // Update Failed
        await H.ProgressAsync("dev-002", 40);       // In upgrade
        await H.Engine.CancelTaskAsync(Actor.System, (await H.TaskAsync(id, "dev-003")).Id); // Canceled; dev-004 stays Pushed
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForAssertion(() => Assert.Equal(5, page.FindAll(".tasks-table td.task-device").Count));

        page.Find("button.sort-Status").Click();

        page.WaitForAssertion(() => Assert.Equal(["dev-004", "dev-002", "dev-000", "dev-001", "dev-003"],
            page.FindAll(".tasks-table td.task-device").Select(td => td.TextContent)));
    }

    [Fact]
    public async Task A_batch_that_completed_with_failures_says_how_many_and_is_not_green()
    {
        await H.ProductAsync();
        await H.DevicesAsync(4);
        var p = await H.PackageAsync();
        var id = (await H.BatchAsync(p.Id)).BatchId;
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        await H.VersionAsync("dev-000", "2.0.0");
        foreach (var device in new[] { "dev-001", "dev-002", "dev-003" })
            await H.ProgressAsync(device, -1);
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        var done = await H.GetBatchAsync(id);
        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal((3, 4), (done.Counts.Failed, done.Counts.Total));

        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));

        page.WaitForAssertion(() => Assert.Equal("Completed, 3 of 4 failed", page.Find(".batch-status").TextContent.Trim()));
        Assert.DoesNotContain("mud-chip-color-success", page.Find(".batch-status").ClassName);
        Assert.Contains("mud-chip-color-warning", page.Find(".batch-status").ClassName);
    }

    [Fact]
    public async Task A_link_to_another_batch_shows_that_batch_and_its_devices()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2, prefix: "first");
        await H.DevicesAsync(3, prefix: "second");
        var p = await H.PackageAsync();
        var first = (await H.BatchAsync(p.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["first-000", "first-001"] })).BatchId;
        var second = (await H.BatchAsync(p.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["second-000", "second-001", "second-002"] })).BatchId;
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, first));
        page.WaitForAssertion(() => Assert.Equal(["first-000", "first-001"], page.FindAll(".tasks-table td.task-device").Select(td => td.TextContent)));

        // As the router does for a link: the same page, a new route parameter.
        page.Render(h => h.AddChildContent<BatchDetails>(x => x.Add(t => t.BatchId, second)));

        page.WaitForAssertion(() => Assert.Equal(["second-000", "second-001", "second-002"], page.FindAll(".tasks-table td.task-device").Select(td => td.TextContent)));
        Assert.Contains(second, page.Markup);
        Assert.Contains("All: 3", page.Find(".filter-all").TextContent);
    }

    [Fact]
    public async Task Progress_alone_moves_the_rows_and_a_cancelled_batch_takes_their_buttons()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForAssertion(() => Assert.Contains("40 %", Row(page, "dev-002").TextContent));

        await H.ProgressAsync("dev-002", 70);
        page.WaitForAssertion(() => Assert.Contains("70 %", Row(page, "dev-002").TextContent));
        Assert.NotNull(Row(page, "dev-001").QuerySelector("button.reupgrade-task"));

        Assert.NotNull(Row(page, "dev-003").QuerySelector("button.cancel-task"));

        await H.Engine.CancelBatchAsync(Actor.System, id);
        page.WaitForAssertion(() => Assert.Null(Row(page, "dev-001").QuerySelector("button.reupgrade-task")));
        page.WaitForAssertion(() => Assert.Null(Row(page, "dev-003").QuerySelector("button.cancel-task")));
    }

    [Fact]
    public async Task Tags_of_a_running_batch_are_edited_in_place()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForElement(".mud-tab");
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Batch information")).Click();
        page.WaitForElement("button.edit-tags").Click();

        page.WaitForElement(".tag-value input").Input("v2");
        page.Find("button.save-batch").Click();

        page.WaitForAssertion(() => Assert.Equal("v2", H.GetBatchAsync(id).Result.Tags.Single().Value));
        page.WaitForAssertion(() => Assert.Contains("v2", page.Find(".batch-tags").TextContent));
    }

    [Fact]
    public async Task The_push_rate_of_a_running_batch_is_changed_at_once()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForElement(".mud-tab");
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Batch information")).Click();
        page.WaitForElement("button.edit-rate").Click();

        // Each wrong value is said in the form's words under the field, with its range, and Save stays off.
        foreach (var (typed, message) in new[]
        {
            ("5", "10-100,000 devices a minute, not 5."),
            ("", "Required: 10-100,000 devices a minute."),
            ("abc", "A whole number: 10-100,000 devices a minute."),
        })
        {
            page.Find(".rate-per-minute input").Input(typed);
            page.WaitForAssertion(() => Assert.Equal(message, page.Find(".rate-per-minute .mud-input-helper-text").TextContent.Trim()));
            Assert.True(page.Find("button.save-batch").HasAttribute("disabled"));
            Assert.DoesNotContain("MaximumPerMinute", page.Markup);
        }
        Assert.Equal(PushRate.Default.PerMinute, (await H.GetBatchAsync(id)).PushRate.PerMinute);

        page.Find(".rate-per-minute input").Input("2500");
        page.WaitForAssertion(() => Assert.False(page.Find("button.save-batch").HasAttribute("disabled")));
        page.Find("button.save-batch").Click();

        page.WaitForAssertion(() => Assert.Equal(2500, H.GetBatchAsync(id).Result.PushRate.PerMinute));
        page.WaitForAssertion(() => Assert.Equal("2,500/min", page.Find(".batch-rate").TextContent));
    }

    [Fact]
    public async Task A_stale_edit_is_refused_with_a_clear_message()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForElement(".mud-tab");
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Batch information")).Click();
        page.WaitForElement("button.edit-rate").Click();
        page.WaitForElement(".rate-per-minute input").Input("50");

        // Another operator saves first.
        await H.Engine.UpdatePushRateAsync(Actor.System, id, PushRate.Constant(700));
        page.Find("button.save-batch").Click();

        // The form says what changed and starts again from the batch as it is now, with one click.
        page.WaitForAssertion(() => Assert.Contains("the push rate is now 700/min (was 10,000/min)", page.Find(".stale-edit").TextContent));
        Assert.True(page.Find("button.save-batch").HasAttribute("disabled"));
        Assert.Equal(700, (await H.GetBatchAsync(id)).PushRate.PerMinute);
        page.Find("button.reload-form").Click();
        page.WaitForAssertion(() => Assert.Equal("700", page.Find(".rate-per-minute input").GetAttribute("value")));
        Assert.Empty(page.FindAll(".stale-edit"));
        page.Find(".rate-per-minute input").Input("800");
        page.WaitForAssertion(() => Assert.False(page.Find("button.save-batch").HasAttribute("disabled")));
        page.Find("button.save-batch").Click();
        page.WaitForAssertion(() => Assert.Equal(800, H.GetBatchAsync(id).Result.PushRate.PerMinute));
    }

    [Fact]
    public async Task A_tags_message_is_under_that_tags_field_and_a_ramps_messages_each_under_their_own()
    {
        var id = await BatchAsync();
        var page = RenderInHost<BatchDetails>(x => x.Add(t => t.BatchId, id));
        page.WaitForElement(".mud-tab");
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Batch information")).Click();
        page.WaitForElement("button.edit-rate").Click();

        page.WaitForElement("button.add-tag").Click();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".tag-row").Count));
        page.FindAll(".tag-key input")[1].Input("bad key!");
        page.FindAll(".tag-value input")[1].Input("x");
        page.WaitForAssertion(() => Assert.StartsWith("A tag key is 1-30 characters", page.FindAll(".tag-row")[1].QuerySelector(".tag-key .mud-input-helper-text")!.TextContent.Trim()));
        Assert.Null(page.FindAll(".tag-row")[0].QuerySelector(".mud-input-error"));
        Assert.Empty(page.FindAll(".tag-error"));
        Assert.True(page.Find("button.save-batch").HasAttribute("disabled"));

        page.FindAll(".rate-kind input")[1].Click();
        page.WaitForElement(".ramp-base input").Input("5");
        page.Find(".ramp-step input").Input("");
        page.WaitForAssertion(() => Assert.Equal("10-100,000 devices a minute, not 5.", page.Find(".ramp-base .mud-input-helper-text").TextContent.Trim()));
        Assert.Equal("Required: 1-1,000,000 devices.", page.Find(".ramp-step .mud-input-helper-text").TextContent.Trim());
        Assert.DoesNotContain("RampBaseRate", page.Markup);
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<TestHost> page, string device) =>
        page.FindAll(".tasks-table tbody tr").Single(r => r.QuerySelector(".task-device")!.TextContent == device);
}
