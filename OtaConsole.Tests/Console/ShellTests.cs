using OtaConsole.Core.Model;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Time.Testing;
using OtaConsole.Components.Layout;
using OtaConsole.Components.Pages;
using OtaConsole.Components.Shared;
using OtaConsole.Core.Devices;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Console;

public sealed class LayoutTests : ConsoleTestContext
{
    private IRenderedComponent<MainLayout> RenderLayout() =>
        Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<p class=\"page-body\">page</p>"))));

    [Fact]
    public void OTA_Update_is_under_Maintenance_and_the_page_body_is_shown()
    {
        var layout = RenderLayout();

        var group = layout.FindAll(".mud-nav-group").Single(g => g.TextContent.Contains("Maintenance"));
        var link = group.QuerySelectorAll("a.mud-nav-link").Single();
        Assert.Equal("/ota", link.GetAttribute("href"));
        Assert.Contains("OTA Update", link.TextContent);
        Assert.Contains("/products", layout.FindAll("a.mud-nav-link").Select(a => a.GetAttribute("href")));
        Assert.Contains("/api-reference", layout.FindAll("a.mud-nav-link").Select(a => a.GetAttribute("href")));
        Assert.Equal("page", layout.Find(".page-body").TextContent);
    }

    [Fact]
    public void The_theme_toggle_switches_between_light_and_dark()
    {
        var layout = RenderLayout();
        Assert.NotNull(layout.Find(".mud-layout.theme-light"));

        layout.Find("button[aria-label='Toggle theme']").Click();
        layout.WaitForAssertion(() => Assert.NotNull(layout.Find(".mud-layout.theme-dark")));

        layout.Find("button[aria-label='Toggle theme']").Click();
        layout.WaitForAssertion(() => Assert.NotNull(layout.Find(".mud-layout.theme-light")));
    }
}

public sealed class OverviewPageTests : ConsoleTestContext
{
    [Fact]
    public async Task Counts_and_running_batches_follow_the_engine_live()
    {
        await H.ProductAsync();
        await H.DevicesAsync(4, online: false);
        var page = RenderInHost<Home>();
        page.WaitForAssertion(() => Assert.Equal("0 / 4", page.Find(".stat-online").TextContent.Trim()));
        Assert.Equal("1", page.Find(".stat-products").TextContent.Trim());
        Assert.Contains("No batch is running", page.Markup);

        await H.ReportAsync(new DeviceConnected(EngineHarness.Key("dev-000")), new DeviceConnected(EngineHarness.Key("dev-001")));
        var p = await H.PackageAsync();
        await H.BatchAsync(p.Id, r => r with { Name = "spring-rollout" });

        page.WaitForAssertion(() => Assert.Equal("2 / 4", page.Find(".stat-online").TextContent.Trim()));
        page.WaitForAssertion(() => Assert.Equal("1", page.Find(".stat-running").TextContent.Trim()));
        Assert.Equal("1", page.Find(".stat-packages").TextContent.Trim());
        Assert.Contains("spring-rollout", page.Markup);
    }

    [Fact]
    public async Task A_running_batch_card_shows_its_real_pace_and_time_to_go()
    {
        await H.ProductAsync();
        await H.DevicesAsync(30);
        var p = await H.PackageAsync();
        await H.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) });
        await H.AdvanceAsync(TimeSpan.FromSeconds(60));

        var page = RenderInHost<Home>();

        page.WaitForAssertion(() => Assert.StartsWith("Pushing 10 a minute (rate 10) · 20 to push · about 2 min of pushing to go, then the updates",
            page.Find(".batch-card .batch-pace").TextContent));
    }
}

public sealed class LiveThrottleTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-27T08:00:00Z"));
    private int _calls;

    private LiveUpdates.Throttle Throttle() => new(() => { Interlocked.Increment(ref _calls); return Task.CompletedTask; }, TimeSpan.FromMilliseconds(300), _time);

    [Fact]
    public void The_first_change_renders_at_once()
    {
        using var t = Throttle();
        t.Request();
        Assert.Equal(1, _calls);
    }

    [Fact]
    public void Changes_within_the_interval_collapse_into_one_trailing_render()
    {
        using var t = Throttle();
        t.Request();
        for (var i = 0; i < 1000; i++)
            t.Request();
        Assert.Equal(1, _calls);

        _time.Advance(TimeSpan.FromMilliseconds(299));
        Assert.Equal(1, _calls);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, _calls);

        // Quiet afterwards: nothing more.
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, _calls);
    }

    [Fact]
    public void A_steady_stream_renders_at_most_once_per_interval()
    {
        using var t = Throttle();
        for (var ms = 0; ms < 3000; ms += 10)
        {
            t.Request();
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
        Assert.InRange(_calls, 10, 11); // 3 s / 300 ms, plus the leading render
    }

    [Fact]
    public void Nothing_renders_after_the_page_is_gone()
    {
        var t = Throttle();
        t.Request();
        t.Request();
        t.Dispose();
        _time.Advance(TimeSpan.FromSeconds(1));
        t.Request();
        Assert.Equal(1, _calls);
    }
}

public sealed class BatchProgressTests : ConsoleTestContext
{
    [Fact]
    public void The_bar_has_one_segment_per_state_sized_by_its_count()
    {
        var counts = new OtaConsole.Core.Model.TaskCounts { Succeeded = 6, Failed = 1, InProgress = 3 };
        var bar = Render<BatchProgress>(p => p.Add(x => x.Counts, counts));

        var segments = bar.FindAll(".state-segment").Select(s => (s.GetAttribute("title"), s.GetAttribute("style")!.Split(';')[0])).ToList();
        Assert.Equal([("In upgrade: 3", "width: 30%"), ("Updated: 6", "width: 60%"), ("Update Failed: 1", "width: 10%")], segments);
        Assert.Equal("7", bar.Find("[role=progressbar]").GetAttribute("aria-valuenow"));
        Assert.Equal("6", bar.Find(".count-Succeeded b").TextContent);
    }

    [Fact]
    public void An_empty_batch_draws_an_empty_bar()
    {
        var bar = Render<BatchProgress>(p => p.Add(x => x.Counts, new OtaConsole.Core.Model.TaskCounts()));
        Assert.Empty(bar.FindAll(".state-segment"));
    }
}
