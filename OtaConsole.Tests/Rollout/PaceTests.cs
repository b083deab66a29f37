using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

public sealed class PaceTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task A_running_batch_reports_its_real_push_rate_what_is_left_and_about_when_it_ends()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(40);
        await _h.DevicesAsync(3, online: false, prefix: "off");
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) })).BatchId;
        var paces = new PaceQueries(_h.Database, _h.Time);

        // Two minutes at 10 a minute; the devices pushed in the first 30 s all report success then.
        await _h.AdvanceAsync(TimeSpan.FromSeconds(30));
        foreach (var t in (await _h.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Notified))
            await _h.VersionAsync(t.DeviceName, "2.0.0");
        await _h.AdvanceAsync(TimeSpan.FromSeconds(90));

        var pace = (await paces.OfAsync(Actor.System, [id]))[id];
        var pushed = (await _h.TasksAsync(id)).Count(t => t.PushedAt is not null);
        Assert.Equal(pushed / 2.0, pace.PushedPerMinute, 3);
        Assert.InRange(pace.PushedPerMinute, 9, 11);
        Assert.Equal(40 - pushed, pace.ToPush);
        Assert.Equal(3, pace.Offline);
        var spans = (await _h.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Succeeded).Select(t => t.EndedAt!.Value - t.PushedAt!.Value).Order().ToList();
        Assert.True(spans.Count >= 5);
        Assert.Equal(spans[spans.Count / 2], pace.TypicalUpdate);
        Assert.Equal(TimeSpan.FromMinutes(pace.ToPush / 10.0) + spans[spans.Count / 2], pace.Remaining);
        // Another product's operator does not see the batch, nor its pace.
        Assert.Empty(await paces.OfAsync(Actor.NoOne, [id]));
    }

    [Fact]
    public async Task A_batch_with_only_offline_devices_left_has_no_estimate()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        await _h.DevicesAsync(2, online: false, prefix: "off");
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync("dev-000", "2.0.0");
        await _h.VersionAsync("dev-001", "2.0.0");

        var pace = (await new PaceQueries(_h.Database, _h.Time).OfAsync(Actor.System, [id]))[id];

        Assert.Equal((0, 2, 0, null), (pace.ToPush, pace.Offline, pace.InFlight, pace.Remaining));
        Assert.Equal("Pushing 2 a minute (rate 10,000) · nothing left to push to online devices · 2 offline, pushed when they come online",
            OtaConsole.Components.Shared.BatchPaceLine.Describe(pace with { PushedPerMinute = 2 }));
    }
}
