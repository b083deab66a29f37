using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>
/// When a task's notice goes out again by itself: after a reconnect (once the device had its chance to report), for
/// a Pushed task that stays silent, and after a notice that never reached the broker. None of it may strand a
/// device, send it the version it has just installed, or write the timeline without bound.
/// </summary>
public sealed class NoticeTimingTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private static readonly NoticeTiming Timing = NoticeTiming.Default;

    public void Dispose() => _h.Dispose();

    private static DeviceKey Dev(int i = 0) => EngineHarness.Key($"dev-{i:D3}");

    private async Task<string> PushedAsync(int devices = 1, Func<CreateBatchRequest, CreateBatchRequest>? configure = null)
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(devices);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, configure);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(devices, _h.Gateway.Notices.Count(n => n.Cause == NoticeCause.Push));
        return created.BatchId;
    }

    private List<NoticeCause> Causes(int device = 0) => _h.Gateway.NoticesFor($"dev-{device:D3}").Select(n => n.Cause).ToList();

    [Fact]
    public async Task A_device_that_reports_the_destination_right_after_reconnecting_gets_no_notice_again()
    {
        var batchId = await PushedAsync();
        await _h.ProgressAsync("dev-000", 50);
        // The console restarted while the device was flashing; the device comes back on 2.0.0 and says so at once.
        await _h.ReportAsync(new DeviceConnected(Dev()), new VersionReported(Dev(), OtaModule.Default, "2.0.0"));
        await _h.AdvanceAsync(TimeSpan.FromMinutes(1));

        Assert.Equal([NoticeCause.Push], Causes());
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(batchId, "dev-000")).Status);
    }

    [Fact]
    public async Task A_device_still_flashing_when_it_reconnects_stays_In_upgrade_and_then_succeeds()
    {
        var batchId = await PushedAsync();
        await _h.ProgressAsync("dev-000", 40);
        // It reconnects mid-update and reports the version it still runs, as SDKs do on connect.
        await _h.ReportAsync(new DeviceConnected(Dev()), new VersionReported(Dev(), OtaModule.Default, "1.0.0"));
        Assert.Equal(OtaTaskStatus.InProgress, (await _h.TaskAsync(batchId, "dev-000")).Status);
        await _h.ProgressAsync("dev-000", 90);
        await _h.VersionAsync("dev-000", "2.0.0");

        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(batchId, "dev-000")).Status);
    }

    [Fact]
    public async Task A_reconnect_storm_sends_one_notice_per_interval_and_writes_one_line_each()
    {
        var batchId = await PushedAsync();
        // 1,000 reconnects in about 9 seconds.
        for (var i = 0; i < 1000; i++)
        {
            await _h.ReportAsync(new DeviceDisconnected(Dev()), new DeviceConnected(Dev()));
            if (i % 111 == 110)
                await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        }
        await _h.AdvanceAsync(Timing.ResendInterval + Timing.ReconnectGrace);

        var resent = Causes().Count(c => c == NoticeCause.Reconnect);
        Assert.InRange(resent, 1, 2);
        var task = await _h.TaskAsync(batchId, "dev-000");
        var lines = (await _h.EventsAsync(task.Id)).Where(e => e.Kind == TaskEventKind.NoticeResent).Select(e => e.Detail).ToList();
        Assert.Equal(resent, lines.Count);
        Assert.Contains(lines, l => l.StartsWith("notice re-sent: device reconnected (", StringComparison.Ordinal) && l.EndsWith(" times)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pushed_task_that_stays_silent_gets_its_notice_again_a_bounded_number_of_times()
    {
        var batchId = await PushedAsync();

        await _h.AdvanceAsync(Timing.RenoticeAfter * (Timing.MaxRenotices + 2));

        Assert.Equal([NoticeCause.Push, .. Enumerable.Repeat(NoticeCause.Renotice, Timing.MaxRenotices)], Causes());
        var task = await _h.TaskAsync(batchId, "dev-000");
        var lines = (await _h.EventsAsync(task.Id)).Where(e => e.Kind == TaskEventKind.NoticeResent).Select(e => e.Detail).ToList();
        Assert.Equal($"no progress since the notice: notice re-sent (1 of {Timing.MaxRenotices})", lines[0]);
        Assert.Equal(Timing.MaxRenotices, lines.Count);
        Assert.Null(task.NoticeDueAt);
    }

    [Fact]
    public async Task A_notice_lost_on_the_way_is_sent_again_and_the_task_ends()
    {
        var batchId = await PushedAsync(2);
        // dev-000 never saw its notice; dev-001 got it and is updating, reporting as it goes.
        await _h.ProgressAsync("dev-001", 10);
        await _h.AdvanceAsync(Timing.RenoticeAfter / 2);
        await _h.ProgressAsync("dev-001", 50);
        await _h.AdvanceAsync(Timing.RenoticeAfter / 2);

        Assert.Equal([NoticeCause.Push, NoticeCause.Renotice], Causes(0));
        Assert.Equal([NoticeCause.Push], Causes(1));
        await _h.ProgressAsync("dev-000", 100);
        await _h.VersionAsync("dev-000", "2.0.0");
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(batchId, "dev-000")).Status);
    }

    [Fact]
    public async Task A_notice_the_broker_never_took_is_sent_again_with_back_off_and_few_timeline_lines()
    {
        var batchId = await PushedAsync();
        var task = await _h.TaskAsync(batchId, "dev-000");

        for (var i = 0; i < 5; i++)
        {
            await _h.ReportAsync(new NoticeUndelivered(Dev(), task.Id, "not connected to the external MQTT broker"));
            var due = (await _h.TaskAsync(batchId, "dev-000")).NoticeDueAt!.Value;
            // Each failure in a row waits twice as long (from the interval up to the re-notice time).
            var expected = TimeSpan.FromTicks(Math.Min(Timing.ResendInterval.Ticks << i, Timing.RenoticeAfter.Ticks));
            Assert.Equal(_h.Now + expected, due);
            await _h.AdvanceAsync(due - _h.Now);
        }

        Assert.Equal([NoticeCause.Push, .. Enumerable.Repeat(NoticeCause.Redeliver, 5)], Causes());
        var lines = (await _h.EventsAsync(task.Id)).Where(e => e.Kind == TaskEventKind.NoticeResent).Select(e => e.Detail).ToList();
        Assert.Equal(3, lines.Count); // the 1st, 2nd and 4th failure
        await _h.ProgressAsync("dev-000", 100);
        await _h.VersionAsync("dev-000", "2.0.0");
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(batchId, "dev-000")).Status);
    }

    [Fact]
    public async Task Progress_cancels_a_re_send_that_was_waiting_for_the_grace()
    {
        await PushedAsync();
        await _h.ProgressAsync("dev-000", 20);
        await _h.ReportAsync(new DeviceConnected(Dev()));
        await _h.ProgressAsync("dev-000", 30); // it was only a network blip: the device goes on downloading
        await _h.AdvanceAsync(Timing.RenoticeAfter - TimeSpan.FromSeconds(1));

        Assert.Equal([NoticeCause.Push], Causes());
    }

    [Fact]
    public async Task An_updating_device_that_falls_silent_gets_its_notice_again_a_bounded_number_of_times()
    {
        // Its last report was lost on the way (QoS 0, or a console node that died holding it): without a re-send
        // the task would stay In upgrade for ever, since the device waits for nothing more.
        var batchId = await PushedAsync();
        await _h.ProgressAsync("dev-000", 100);
        for (var i = 0; i < Timing.MaxRenotices + 2; i++)
            await _h.AdvanceAsync(Timing.RenoticeAfter);

        Assert.Equal([NoticeCause.Push, .. Enumerable.Repeat(NoticeCause.Renotice, Timing.MaxRenotices)], Causes());
        var task = await _h.TaskAsync(batchId, "dev-000");
        Assert.Equal(OtaTaskStatus.InProgress, task.Status);
        Assert.Null(task.NoticeDueAt);
        Assert.Contains((await _h.EventsAsync(task.Id)).Select(e => e.Detail), d => d!.StartsWith("no progress for ", StringComparison.Ordinal));
        await _h.VersionAsync("dev-000", "2.0.0");
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(batchId, "dev-000")).Status);
    }
}
