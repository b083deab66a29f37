using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Components.Pages;
using OtaConsole.Components.Shared;
using OtaConsole.Core.Model;

namespace OtaConsole.Tests.Console;

public sealed class OperatorTimeTests : ConsoleTestContext
{
    private static readonly DateTimeOffset Noon = new(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("Asia/Kolkata", "2026-07-01 17:30:00 UTC+5:30")]
    [InlineData("America/New_York", "2026-07-01 08:00:00 UTC-4")]
    [InlineData("Europe/Berlin", "2026-07-01 14:00:00 UTC+2")]
    [InlineData("UTC", "2026-07-01 12:00:00 UTC")]
    [InlineData("Not/AZone", "2026-07-01 12:00:00 UTC")]
    [InlineData(null, "2026-07-01 12:00:00 UTC")]
    public void A_time_is_shown_in_the_operators_zone_with_the_zone_named(string? zone, string shown) =>
        Assert.Equal(shown, OperatorTime.For(zone).Time(Noon));

    [Fact]
    public void A_wall_clock_time_is_read_in_the_zone_and_one_the_zone_skips_an_hour_later()
    {
        var berlin = OperatorTime.For("Europe/Berlin");
        Assert.Equal(Noon, berlin.FromLocal(new DateTime(2026, 7, 1, 14, 0, 0)));
        // Clocks go from 02:00 to 03:00: 02:30 is read as 03:30 summer time, 01:30 UTC.
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero), berlin.FromLocal(new DateTime(2026, 3, 29, 2, 30, 0)));
        Assert.Equal("Europe/Berlin", berlin.Name);
    }

    [Fact]
    public async Task The_schedule_is_entered_and_confirmed_in_the_operators_zone()
    {
        Zone = OperatorTime.For("Asia/Tokyo"); // 08:00 UTC is 17:00 there
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".scheduled input").Change(true);

        page.WaitForAssertion(() => Assert.Contains("Start date (Asia/Tokyo)", page.Find(".start-date").TextContent));
        Assert.Equal("2026-11-27", page.Find(".start-date input").GetAttribute("value"));
        page.Find("button.start-batch").Click();
        page.WaitForAssertion(() => Assert.Contains("It starts 2026-11-27 18:00:00 UTC+9.", page.Find(".mud-dialog").TextContent));
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Contains("Start")).Click();

        var nav = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Contains("/ota/batches/", nav.Uri));
        await using var db = H.Database.CreateDbContext();
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero), db.Batches.Single().ScheduleTime);
    }

    [Fact]
    public async Task A_schedule_out_of_range_says_its_bounds_in_the_operators_zone()
    {
        Zone = OperatorTime.For("Asia/Tokyo");
        await H.ProductAsync();
        await H.DevicesAsync(2);
        var p = await H.PackageAsync();
        var page = RenderInHost<NewBatch>(x => x.Add(t => t.PackageId, p.Id));
        page.WaitForElement(".scheduled input").Change(true);
        H.Time.Advance(TimeSpan.FromHours(2)); // the default start (18:00 Tokyo) is past now

        // The advance also fires the form's debounced preview, which may re-render the button under the click.
        await page.InvokeAsync(() => page.Find("button.preview-button").Click());

        page.WaitForAssertion(() => Assert.Equal("The start is 5 minutes to 7 days from now: between 2026-11-27 19:05:00 UTC+9 and 2026-12-04 19:00:00 UTC+9.",
            page.Find(".schedule-error").TextContent.Trim()));
        Assert.DoesNotContain("ScheduleTime", page.Markup);
        Assert.DoesNotContain("Z)", page.Markup);
    }
}
