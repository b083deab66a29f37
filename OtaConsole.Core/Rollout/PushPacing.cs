using OtaConsole.Core.Model;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// Pacing arithmetic. The scheduler ticks four times a second; each tick releases the pushes of the quarter
/// second it starts. Within a stretch of constant rate r that started at s, the pushes allowed by time t are
/// ceil(r × (t − s + 1 tick) / 1 min): the first tick's share at once, then evenly, and exactly r in every
/// minute of the stretch. Short ticks keep a safety rule's overshoot small: what one tick releases is already
/// on its way when a failure trips the rule.
/// </summary>
public static class PushPacing
{
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    public static long AllowedSince(DateTimeOffset start, DateTimeOffset now, int perMinute)
    {
        var ms = (long)(now - start).TotalMilliseconds;
        if (ms < 0)
            return 0;
        var numerator = perMinute * (ms + (long)Tick.TotalMilliseconds);
        return (numerator + 59_999) / 60_000;
    }

    /// <summary>
    /// The most a stretch may owe before it is restarted: five seconds' worth. More than that means the
    /// scheduler was not running (a restart, a resumed batch), and paying the debt at once would be a burst.
    /// </summary>
    public static long BurstCap(int perMinute) => Math.Max(1, (long)Math.Ceiling(perMinute * 5 / 60.0));

    /// <summary>How long it takes to push <paramref name="devices"/> devices at <paramref name="rate"/>, counting a ramp's steps (a Succeeded ramp is taken as if every push succeeds).</summary>
    public static TimeSpan Duration(PushRate rate, long devices)
    {
        if (devices <= 0)
            return TimeSpan.Zero;
        if (rate.Kind == PushRateKind.Constant || rate.RampStep is not int step)
            return TimeSpan.FromMinutes((double)devices / rate.PerMinute);
        double minutes = 0;
        long pushed = 0;
        while (pushed < devices)
        {
            var r = rate.RateAfter(pushed);
            var chunk = r >= rate.PerMinute ? devices - pushed : Math.Min(devices - pushed, step - (pushed % step));
            minutes += (double)chunk / r;
            pushed += chunk;
        }
        return TimeSpan.FromMinutes(minutes);
    }
}
