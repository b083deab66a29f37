using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Tests.Rollout;

public sealed class PushPacingTests
{
    private static readonly DateTimeOffset S = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(10)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(9999)]
    [InlineData(100_000)]
    public void Ticks_four_times_a_second_release_exactly_the_rate_in_every_minute(int rate)
    {
        long Allowed(int tick) => PushPacing.AllowedSince(S, S + tick * PushPacing.Tick, rate);
        for (var minute = 0; minute < 3; minute++)
        {
            var before = minute == 0 ? 0 : Allowed(minute * 240 - 1);
            Assert.Equal(rate, Allowed(minute * 240 + 239) - before);
        }
        Assert.Equal((rate + 239) / 240, Allowed(0));
    }

    [Fact]
    public void Nothing_is_allowed_before_the_stretch_starts() => Assert.Equal(0, PushPacing.AllowedSince(S, S.AddSeconds(-1), 1000));

    [Fact]
    public void Push_duration_follows_a_ramp_up_to_its_ceiling()
    {
        Assert.Equal(TimeSpan.FromMinutes(2), PushPacing.Duration(PushRate.Constant(500), 1000));
        // 100 at 100/min (1 min), 100 at 200/min (0.5), then 800 at the 400/min ceiling (2 min).
        Assert.Equal(TimeSpan.FromMinutes(3.5), PushPacing.Duration(PushRate.Variable(100, 2, 100, RampCriterion.Pushed, 400), 1000));
    }
}
