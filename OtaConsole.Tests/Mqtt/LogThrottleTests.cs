using Microsoft.Extensions.Time.Testing;
using OtaConsole.Core.Mqtt;

namespace OtaConsole.Tests.Mqtt;

public sealed class LogThrottleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void One_line_a_minute_per_source_and_kind_and_the_next_says_how_many_were_held_back()
    {
        var t = new LogThrottle(_time);
        Assert.True(t.ShouldLog("drop", "a", out var none));
        Assert.Equal(0, none);
        for (var i = 0; i < 50; i++)
            Assert.False(t.ShouldLog("drop", "a", out _));
        Assert.True(t.ShouldLog("publish", "a", out _));
        Assert.True(t.ShouldLog("drop", "b", out _));

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(t.ShouldLog("drop", "a", out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(t.ShouldLog("drop", "a", out var held));
        Assert.Equal(51, held);
    }

    [Fact]
    public void Past_its_size_senders_share_one_line_and_quiet_ones_are_forgotten()
    {
        var t = new LogThrottle(_time);
        for (var i = 0; i < LogThrottle.MaxSources; i++)
            t.ShouldLog("sign-in", $"user-{i}", out _);

        Assert.True(t.ShouldLog("sign-in", "one-more", out _));
        Assert.False(t.ShouldLog("sign-in", "and-another", out _));
        Assert.InRange(t.Count, LogThrottle.MaxSources, LogThrottle.MaxSources + 1);

        _time.Advance(LogThrottle.Window);
        Assert.True(t.ShouldLog("sign-in", "later", out _));
        Assert.InRange(t.Count, 1, 2);
    }
}
