using System.Globalization;

namespace OtaConsole.Components.Shared;

/// <summary>
/// The operator's time zone (the browser's), which every time on every page is shown in, with the zone named, and
/// the schedule is entered in. The layout reads it from the browser once the circuit is up and cascades it; until
/// then, and where no browser says, times are UTC.
/// </summary>
public sealed record OperatorTime(TimeZoneInfo Zone)
{
    public static readonly OperatorTime Utc = new(TimeZoneInfo.Utc);

    /// <summary>The zone an IANA name (Intl's resolvedOptions().timeZone) names; UTC for a name this machine does not know.</summary>
    public static OperatorTime For(string? zoneId) =>
        !string.IsNullOrWhiteSpace(zoneId) && TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone) ? new OperatorTime(zone) : Utc;

    public bool IsUtc => Zone.Id is "UTC" or "Etc/UTC" || Zone == TimeZoneInfo.Utc;

    /// <summary>"Europe/Berlin", or "UTC": what the schedule fields say they are in.</summary>
    public string Name => IsUtc ? "UTC" : Zone.Id;

    /// <summary>"2026-12-02 15:04:05 UTC+1"; a dash for no time.</summary>
    public string Time(DateTimeOffset? t)
    {
        if (t is not { } value)
            return "—";
        var local = TimeZoneInfo.ConvertTime(value, Zone);
        return local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " " + Offset(local.Offset);
    }

    /// <summary>The wall-clock time in the zone, for pickers.</summary>
    public DateTime Local(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, Zone).DateTime;

    /// <summary>
    /// A date and time read in the zone, as an instant. A time the zone skips (clocks going forward) is read an hour
    /// later, the time the clocks show then.
    /// </summary>
    public DateTimeOffset FromLocal(DateTime wallClock)
    {
        var unspecified = DateTime.SpecifyKind(wallClock, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(unspecified))
            unspecified = unspecified.AddHours(1);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, Zone), TimeSpan.Zero);
    }

    private static string Offset(TimeSpan offset) => offset == TimeSpan.Zero ? "UTC"
        : $"UTC{(offset < TimeSpan.Zero ? "-" : "+")}{Math.Abs(offset.Hours)}{(offset.Minutes == 0 ? "" : $":{Math.Abs(offset.Minutes):00}")}";
}
