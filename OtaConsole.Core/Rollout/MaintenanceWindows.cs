using Cronos;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// When a batch with a maintenance window may push: on the window's days, from its start to its end, on the
/// wall clock of its time zone (so a daylight-saving change moves the window with the clocks). A window whose end
/// is not after its start runs past midnight and belongs to the day it starts on. A cron window opens at each time
/// its expression names on the zone's clock (Cronos handles the daylight-saving changes as Unix cron does) and stays
/// open for its duration.
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
        if (CronOf(w) is { } cron)
            return cron.GetNextOccurrence(at, zone);
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
        if (CronOf(w) is { } cron)
        {
            // The latest start within one duration before now, if any: its window holds now.
            var length = TimeSpan.FromMinutes(w.DurationMinutes ?? 0);
            DateTimeOffset? latest = null;
            foreach (var start in cron.GetOccurrences(at - length, at, zone, fromInclusive: false, toInclusive: true))
                latest = start;
            return latest is { } s ? (s, s + length) : null;
        }
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

    /// <summary>The window's cron expression, or null for a days-and-times window (or one whose expression does not parse).</summary>
    public static CronExpression? CronOf(MaintenanceWindow w) =>
        w.Cron is { } text && CronExpression.TryParse(text, CronFormat.Standard, out var cron) ? cron : null;

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
