using OtaConsole.Core.Model;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// When a batch with a maintenance window may push: on the window's days, from its start to its end, on the
/// wall clock of its time zone (so a daylight-saving change moves the window with the clocks). A window whose end
/// is not after its start runs past midnight and belongs to the day it starts on.
/// </summary>
public static class MaintenanceWindows
{
    /// <summary>Whether pushes are allowed at <paramref name="at"/>.</summary>
    public static bool IsOpen(MaintenanceWindow w, DateTimeOffset at) => OpenSpanAt(w, at) is not null;

    /// <summary>The next moment the window opens at or after <paramref name="at"/> (at itself when it is open); null for a window that never opens.</summary>
    public static DateTimeOffset? NextOpen(MaintenanceWindow w, DateTimeOffset at)
    {
        if (IsOpen(w, at))
            return at;
        var zone = Zone(w);
        var local = TimeZoneInfo.ConvertTime(at, zone).DateTime.Date;
        for (var day = -1; day <= 8; day++)
        {
            var date = local.AddDays(day);
            if (!w.Days.Contains(date.DayOfWeek))
                continue;
            var start = Instant(zone, date + w.Start.ToTimeSpan());
            if (start >= at)
                return start;
        }
        return null;
    }

    /// <summary>How long, from <paramref name="from"/>, until <paramref name="pushing"/> of open window time has passed: a push phase's wall-clock length.</summary>
    public static TimeSpan WallClock(MaintenanceWindow w, DateTimeOffset from, TimeSpan pushing)
    {
        var at = from;
        var left = pushing;
        // A year of windows at most: a window that never opens cannot finish the work.
        for (var i = 0; i < 800 && left > TimeSpan.Zero; i++)
        {
            if (NextOpen(w, at) is not { } open)
                return TimeSpan.MaxValue;
            var (_, end) = OpenSpanAt(w, open)!.Value;
            var span = end - open;
            if (span >= left)
                return open + left - from;
            left -= span;
            at = end;
        }
        return left > TimeSpan.Zero ? TimeSpan.MaxValue : at - from;
    }

    /// <summary>The open window holding <paramref name="at"/>, as instants, or null.</summary>
    private static (DateTimeOffset Start, DateTimeOffset End)? OpenSpanAt(MaintenanceWindow w, DateTimeOffset at)
    {
        var zone = Zone(w);
        var today = TimeZoneInfo.ConvertTime(at, zone).DateTime.Date;
        // The window that began today, or yesterday and runs past midnight.
        foreach (var date in new[] { today, today.AddDays(-1) })
        {
            if (!w.Days.Contains(date.DayOfWeek))
                continue;
            var start = Instant(zone, date + w.Start.ToTimeSpan());
            var endDate = w.End > w.Start ? date : date.AddDays(1);
            var end = Instant(zone, endDate + w.End.ToTimeSpan());
            if (at >= start && at < end)
                return (start, end);
        }
        return null;
    }

    private static TimeZoneInfo Zone(MaintenanceWindow w) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(w.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>A wall-clock time in the zone as an instant; a time the zone skips is read as the clocks show it an hour later.</summary>
    private static DateTimeOffset Instant(TimeZoneInfo zone, DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(unspecified))
            unspecified = unspecified.AddHours(1);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, zone), TimeSpan.Zero);
    }
}
