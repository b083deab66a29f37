using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>Maintenance windows: open and closed across midnight, a daylight-saving change and time zones; the engine pushes only inside them.</summary>
public sealed class MaintenanceWindowTests : IDisposable
{
    private readonly EngineHarness _h = new(); // 2026-11-27 08:00 UTC, a Friday

    public void Dispose() => _h.Dispose();

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void A_window_past_midnight_belongs_to_the_day_it_starts_on()
    {
        // Mondays 22:00 to 04:00 in Berlin (UTC+1 in November): 21:00 Monday to 03:00 Tuesday UTC.
        var w = new MaintenanceWindow { TimeZone = "Europe/Berlin", Days = [DayOfWeek.Monday], Start = new(22, 0), End = new(4, 0) };

        Assert.False(MaintenanceWindows.IsOpen(w, Utc(11, 30, 20, 59)));
        Assert.True(MaintenanceWindows.IsOpen(w, Utc(11, 30, 21, 0)));
        Assert.True(MaintenanceWindows.IsOpen(w, Utc(12, 1, 2, 59)));
        Assert.False(MaintenanceWindows.IsOpen(w, Utc(12, 1, 3, 0)));
        // Tuesday night is not Monday's.
        Assert.False(MaintenanceWindows.IsOpen(w, Utc(12, 1, 21, 30)));
        Assert.Equal(Utc(12, 7, 21, 0), MaintenanceWindows.NextOpen(w, Utc(12, 1, 3, 0)));
    }

    [Fact]
    public void A_daylight_saving_change_moves_the_window_with_the_clocks()
    {
        // Sundays 01:00-04:00 Berlin. On 2026-03-29 clocks go from 02:00 to 03:00: the window is two hours long,
        // 00:00 to 02:00 UTC; a week later, in summer time, 23:00 Saturday to 02:00 UTC.
        var w = new MaintenanceWindow { TimeZone = "Europe/Berlin", Days = [DayOfWeek.Sunday], Start = new(1, 0), End = new(4, 0) };

        Assert.True(MaintenanceWindows.IsOpen(w, Utc(3, 29, 0, 0)));
        Assert.True(MaintenanceWindows.IsOpen(w, Utc(3, 29, 1, 59)));
        Assert.False(MaintenanceWindows.IsOpen(w, Utc(3, 29, 2, 0)));
        Assert.Equal(Utc(4, 4, 23, 0), MaintenanceWindows.NextOpen(w, Utc(3, 29, 2, 0)));
        // Three hours of pushing from the first window: its two hours, then one of the next.
        Assert.Equal(Utc(4, 5, 0, 0) - Utc(3, 29, 0, 0), MaintenanceWindows.WallClock(w, Utc(3, 29, 0, 0), TimeSpan.FromHours(3)));
    }

    [Fact]
    public void The_same_window_in_another_time_zone_is_another_time()
    {
        var tokyo = new MaintenanceWindow { TimeZone = "Asia/Tokyo", Days = [.. Enum.GetValues<DayOfWeek>()], Start = new(2, 0), End = new(5, 0) };
        var utc = new MaintenanceWindow { TimeZone = "UTC", Days = [.. Enum.GetValues<DayOfWeek>()], Start = new(2, 0), End = new(5, 0) };

        Assert.True(MaintenanceWindows.IsOpen(tokyo, Utc(11, 27, 17, 30)));
        Assert.False(MaintenanceWindows.IsOpen(utc, Utc(11, 27, 17, 30)));
        Assert.True(MaintenanceWindows.IsOpen(utc, Utc(11, 27, 2, 30)));
    }

    [Fact]
    public async Task A_batch_pushes_only_inside_its_window_and_starts_there_at_its_rate_without_catching_up()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(200);
        var p = await _h.PackageAsync();
        // Every day 09:00-10:00 UTC; it is 08:00.
        var window = new MaintenanceWindow { TimeZone = "UTC", Days = [.. Enum.GetValues<DayOfWeek>()], Start = new(9, 0), End = new(10, 0) };
        var id = (await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(60), Window = window })).BatchId;

        await _h.AdvanceAsync(TimeSpan.FromMinutes(59));
        Assert.Equal(0, (await _h.GetBatchAsync(id)).PushedCount);

        await _h.AdvanceAsync(TimeSpan.FromSeconds(61)); // 09:00:00 to 09:00:01
        Assert.InRange((await _h.GetBatchAsync(id)).PushedCount, 1, 3);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.InRange((await _h.GetBatchAsync(id)).PushedCount, 120, 124);

        await _h.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(200, (await _h.GetBatchAsync(id)).PushedCount); // 200 at one a second fit in the hour
        // After the window, a preview of the same work counts tomorrow's window in its duration.
        _h.Time.Advance(TimeSpan.FromMinutes(60));
        var fresh = await _h.DevicesAsync(100, prefix: "new");
        var preview = await _h.Engine.PreviewBatchAsync(Actor.System, new CreateBatchRequest
        {
            PackageId = p.Id, Target = TargetSelection.Specific, DeviceNames = fresh, PushRate = PushRate.Constant(60), Window = window,
        });
        Assert.True(preview.PushDuration > TimeSpan.FromHours(22), $"{preview.PushDuration}");
    }

    [Fact]
    public void A_cron_window_opens_at_each_time_its_expression_names_for_its_duration()
    {
        // Weekdays at 22:30 Berlin for 3 hours: Friday 2026-11-27 21:30 UTC to Saturday 00:30; none on the weekend.
        var w = new MaintenanceWindow { TimeZone = "Europe/Berlin", Cron = "30 22 * * MON-FRI", DurationMinutes = 180 };

        Assert.False(MaintenanceWindows.IsOpen(w, Utc(11, 27, 21, 29)));
        Assert.True(MaintenanceWindows.IsOpen(w, Utc(11, 27, 21, 30)));
        Assert.True(MaintenanceWindows.IsOpen(w, Utc(11, 28, 0, 29))); // past midnight, into Saturday
        Assert.False(MaintenanceWindows.IsOpen(w, Utc(11, 28, 0, 30)));
        Assert.False(MaintenanceWindows.IsOpen(w, Utc(11, 28, 22, 0)));
        Assert.Equal(Utc(11, 30, 21, 30), MaintenanceWindows.NextOpen(w, Utc(11, 28, 0, 30))); // Monday
        // Four hours of pushing: Friday's three, then one of Monday's.
        Assert.Equal(Utc(11, 30, 22, 30) - Utc(11, 27, 21, 30), MaintenanceWindows.WallClock(w, Utc(11, 27, 21, 30), TimeSpan.FromHours(4)));
    }

    [Fact]
    public void A_cron_window_follows_the_clocks_across_a_daylight_saving_change()
    {
        // Every day at 01:00 Berlin for an hour: 00:00 UTC in winter, 23:00 UTC the day before in summer (2026-03-29).
        var w = new MaintenanceWindow { TimeZone = "Europe/Berlin", Cron = "0 1 * * *", DurationMinutes = 60 };

        Assert.True(MaintenanceWindows.IsOpen(w, Utc(3, 28, 0, 30)));
        Assert.True(MaintenanceWindows.IsOpen(w, Utc(3, 29, 0, 30))); // the morning of the change, still winter time at 01:00
        Assert.False(MaintenanceWindows.IsOpen(w, Utc(3, 29, 22, 30)));
        Assert.True(MaintenanceWindows.IsOpen(w, Utc(3, 29, 23, 30))); // 01:30 summer time on the 30th
        Assert.False(MaintenanceWindows.IsOpen(w, Utc(3, 30, 0, 30)));
        Assert.Equal(Utc(3, 29, 23, 0), MaintenanceWindows.NextOpen(w, Utc(3, 29, 1, 0)));
    }

    [Theory]
    [InlineData("0 22 * *", 60, "MaintenanceWindow.Cron")]
    [InlineData("not cron", 60, "MaintenanceWindow.Cron")]
    [InlineData("0 22 * * *", 0, "MaintenanceWindow.DurationMinutes")]
    [InlineData("0 22 * * *", 1431, "MaintenanceWindow.DurationMinutes")]
    public void A_bad_cron_window_is_refused_by_its_field(string cron, int minutes, string field)
    {
        var errors = new List<OtaConsole.Core.FieldError>();
        OtaConsole.Core.Validation.BatchRules.ValidateWindow(new MaintenanceWindow { Cron = cron, DurationMinutes = minutes }, errors);
        Assert.Contains(errors, e => e.Field == field);
    }

    [Fact]
    public async Task A_running_batch_s_window_is_changed_or_removed_and_holds_from_the_next_tick()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(100);
        var p = await _h.PackageAsync();
        var operatorActor = new Actor(ActorKind.Operator, "op", "op", OperatorRole.Operator);
        // 09:00-10:00 UTC every day; it is 08:00: nothing is pushed.
        var window = new MaintenanceWindow { TimeZone = "UTC", Days = [.. Enum.GetValues<DayOfWeek>()], Start = new(9, 0), End = new(10, 0) };
        var id = (await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(60), Window = window })).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, (await _h.GetBatchAsync(id)).PushedCount);

        // A cron window open now: every hour at :00 for a minute, so until 08:01.
        await _h.Engine.EditBatchAsync(operatorActor, id, new BatchEdit { Window = new MaintenanceWindow { TimeZone = "UTC", Cron = "0 * * * *", DurationMinutes = 1 } });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.InRange((await _h.GetBatchAsync(id)).PushedCount, 9, 11);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(40)); // 08:01:00: closed until 09:00
        var pushed = (await _h.GetBatchAsync(id)).PushedCount;
        Assert.InRange(pushed, 49, 51);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(pushed, (await _h.GetBatchAsync(id)).PushedCount);
        var bad = await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.EditBatchAsync(operatorActor, id, new BatchEdit { Window = new MaintenanceWindow { Cron = "nope", DurationMinutes = 5 } }));
        Assert.Contains(bad.Errors, e => e.Field == "MaintenanceWindow.Cron");
        Assert.Equal("0 * * * *", (await _h.GetBatchAsync(id)).Window!.Cron);

        await _h.Engine.EditBatchAsync(operatorActor, id, new BatchEdit { ClearWindow = true });
        Assert.Null((await _h.GetBatchAsync(id)).Window);
    }

    [Theory]
    [InlineData("Mars/Olympus", "MaintenanceWindow.TimeZone")]
    [InlineData("UTC", "MaintenanceWindow.Days")]
    [InlineData("UTC-same", "MaintenanceWindow.End")]
    public async Task A_window_out_of_its_rules_is_refused(string zone, string field)
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var p = await _h.PackageAsync();
        var w = new MaintenanceWindow
        {
            TimeZone = zone == "UTC-same" ? "UTC" : zone,
            Days = field == "MaintenanceWindow.Days" ? [] : [DayOfWeek.Monday],
            Start = new(9, 0),
            End = zone == "UTC-same" ? new(9, 0) : new(10, 0),
        };

        var e = await Assert.ThrowsAsync<OtaValidationException>(() => _h.BatchAsync(p.Id, r => r with { Window = w }));

        Assert.Contains(e.Errors, x => x.Field == field);
    }
}
