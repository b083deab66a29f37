using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MQTTnet;
using MQTTnet.Server;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;

using OtaConsole.Tests.Support;

namespace OtaConsole.Bench;

/// <summary>The device bridge's scenarios: a whole fleet updating over real TCP, and a storm of reports.</summary>
internal static class BridgeScenarios
{
    private const int Devices = 10_000;
    private const string ProductKey = "a1BenchFleet";
    private static readonly TimeSpan DeviceTime = TimeSpan.FromSeconds(2);

    /// <summary>
    /// 10,000 simulated devices over real TCP on the embedded broker update from 1.0.0 to 2.0.0 at 10,000 a
    /// minute, each taking 2 s to download and flash. Ideal: devices ÷ rate + device time. Memory per connected
    /// device: the console process's growth from before the fleet connects to after, resident (first run, fresh
    /// process) and managed heap (median). Each run also rolls out under a safety policy (two failure rules and a
    /// maintenance window that is open throughout), and under the same policy with waves of 1 % / 10 % / the rest
    /// (each passing at 95 % with no soak), each on a fresh console and fleet, taking turns to go first:
    /// policy_time_ratio is the engine's cost of judging them; the waves' ratio adds the waiting for each wave's
    /// devices to finish, which is what waves are for.
    /// </summary>
    public static async Task<object> FleetE2eAsync(int runs)
    {
        var rules = new List<FailureRule>
        {
            new() { Failures = FailureKind.All, ThresholdPercent = 5, MinEnded = 100 },
            new() { Failures = FailureKind.TimedOut, ThresholdPercent = 10, MinEnded = 50, Scope = RuleScope.Wave },
        };
        var window = new MaintenanceWindow { TimeZone = "Europe/Berlin", Cron = "0 * * * *", DurationMinutes = BatchRulesMax };
        Func<CreateBatchRequest, CreateBatchRequest> plain = r => r;
        Func<CreateBatchRequest, CreateBatchRequest> policy = r => r with { FailureRules = rules, Window = window };
        Func<CreateBatchRequest, CreateBatchRequest> waves = r => policy(r) with
        {
            Waves =
            [
                new() { Size = WaveSize.Percent, Percent = 1, SuccessPercent = 95 },
                new() { Size = WaveSize.Percent, Percent = 10, SuccessPercent = 95 },
                new() { Size = WaveSize.Rest },
            ],
        };
        var results = new List<(double Seconds, int Succeeded, double HeapKb, double RssKb, double PolicySeconds, double WavesSeconds, int Lost)>();
        for (var run = 0; run < Math.Max(1, runs); run++)
        {
            // Each rollout on a fresh console and fleet, the three taking turns to go first.
            var order = new[] { plain, policy, waves }.Skip(run % 3).Concat(new[] { plain, policy, waves }.Take(run % 3)).ToList();
            var measured = new Dictionary<Func<CreateBatchRequest, CreateBatchRequest>, (double Seconds, int Succeeded, double HeapKb, double RssKb)>();
            foreach (var how in order)
                measured[how] = await FleetRunAsync(how);
            var p = measured[plain];
            results.Add((p.Seconds, p.Succeeded, p.HeapKb, p.RssKb, measured[policy].Seconds, measured[waves].Seconds,
                Devices - Math.Min(measured[policy].Succeeded, measured[waves].Succeeded)));
        }
        var ideal = Devices / 10_000.0 * 60 + DeviceTime.TotalSeconds;
        var secondsMedian = Median(results.Select(r => r.Seconds));
        return new
        {
            scenario = "fleet-e2e",
            devices = Devices,
            runs = results.Count,
            succeeded = results.Min(r => r.Succeeded),
            lost = Devices - results.Min(r => r.Succeeded),
            seconds = Math.Round(secondsMedian, 2),
            ideal_seconds = ideal,
            time_ratio = Math.Round(secondsMedian / ideal, 3),
            // Resident memory never shrinks back, so only the first rollout in this process measures it (when it is the plain one).
            kb_per_device = Math.Round(results[0].RssKb, 1),
            heap_kb_per_device = Math.Round(Median(results.Select(r => r.HeapKb)), 1),
            policy = "rules: all failures 5 % of 100 ended, timeouts 10 % of 50 per wave; a cron window open throughout",
            policy_seconds = Math.Round(Median(results.Select(r => r.PolicySeconds)), 2),
            policy_time_ratio = Math.Round(Median(results.Select(r => r.PolicySeconds / r.Seconds)), 3),
            waves = "the policy and waves of 1 % / 10 % / rest, each passing at 95 %, no soak",
            waves_seconds = Math.Round(Median(results.Select(r => r.WavesSeconds)), 2),
            waves_time_ratio = Math.Round(Median(results.Select(r => r.WavesSeconds / r.Seconds)), 3),
            policy_lost = results.Max(r => r.Lost),
            target = "lost == 0, time_ratio <= 1.1, kb_per_device <= 40, policy_time_ratio <= 1.1",
        };
    }

    private const int BatchRulesMax = OtaConsole.Core.Validation.BatchRules.MaxWindowMinutes;

    /// <summary>A fresh console and fleet, connected, then one rollout: seconds from creation to every task ended, successes, memory per device.</summary>
    internal static async Task<(double Seconds, int Succeeded, double HeapKb, double RssKb)> FleetRunAsync(Func<CreateBatchRequest, CreateBatchRequest> policy,
        Func<RunningConsole, Task>? before = null, Func<RunningConsole, Task>? after = null)
    {
        await using var console = await RunningConsole.StartAsync();
        var (specs, package) = await console.SeedAsync();
        var (heapBefore, rssBefore) = Memory();
        await using var fleet = FleetProcess.Start();
        await ConnectAsync(fleet, console, console.MqttPort, specs, "None", DeviceTime);
        await console.WaitAsync(async db => await db.Devices.CountAsync(d => d.IsOnline) == Devices, TimeSpan.FromMinutes(5));
        await console.DrainAsync();
        var (heapAfter, rssAfter) = Memory();

        if (before is not null)
            await before(console);
        var sw = Stopwatch.StartNew();
        var batchId = (await console.Engine.CreateBatchAsync(Actor.System, policy(new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(10_000) }))).BatchId;
        Batch batch = null!;
        await console.WaitAsync(async db => (batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId)).Counts.Unfinished == 0, TimeSpan.FromMinutes(10));
        var seconds = sw.Elapsed.TotalSeconds;
        if (after is not null)
            await after(console);
        return (seconds, batch.Counts.Succeeded, (heapAfter - heapBefore) / 1024.0 / Devices, (rssAfter - rssBefore) / 1024.0 / Devices);
    }

    /// <summary>
    /// The same 10,000 devices, each with a task In upgrade, send 20 progress reports as fast as they can.
    /// Measured until every report is applied and persisted by the engine. Reference: the same fleet and
    /// messages through a plain MQTTnet broker to one subscriber, nothing persisted. With <paramref name="pages"/>,
    /// the same burst once more on a fresh console with that many live pages open in headless Chromium (real
    /// Blazor circuits over SignalR, each connected before the burst): Overview, the batch's Batch Details and its
    /// package's Data analysis tab in turn.
    /// </summary>
    public static async Task<object> IngestBurstAsync(int runs, int pages)
    {
        const int perDevice = 20;
        const int total = Devices * perDevice;
        var console = new List<double>();
        var withPages = new List<double>();
        var raw = new List<double>();
        var pagesUpdated = pages;
        var cpu = new List<BurstCpu>();
        var cpuWithPages = new List<BurstCpu>();
        await using var browser = pages > 0 ? await PageBrowser.StartAsync() : null;
        for (var run = 0; run < Math.Max(1, runs); run++)
        {
            await using var fleet = FleetProcess.Start();
            // The two bursts take turns going first, so whatever the first burst of a run leaves behind (a warmer
            // disk cache, a larger heap in the fleet) counts against each side alike.
            var pagesFirst = browser is not null && run % 2 == 1;
            if (pagesFirst)
                pagesUpdated = Math.Min(pagesUpdated, await WithPagesAsync());
            var alone = await ConsoleBurstAsync(fleet, perDevice, 0, null);
            console.Add(alone.Seconds);
            cpu.Add(alone.Cpu);
            if (browser is not null && !pagesFirst)
                pagesUpdated = Math.Min(pagesUpdated, await WithPagesAsync());

            async Task<int> WithPagesAsync()
            {
                var (seconds, updated, used) = await ConsoleBurstAsync(fleet, perDevice, pages, browser);
                withPages.Add(seconds);
                cpuWithPages.Add(used);
                return updated;
            }
            raw.Add(await RawFanInAsync(fleet, perDevice));
        }
        var devicePerS = total / Median(console);
        var rawPerS = total / Median(raw);
        if (browser is null)
        {
            return new
            {
                scenario = "ingest-burst",
                devices = Devices,
                messages = total,
                runs = console.Count,
                seconds = Math.Round(Median(console), 2),
                device_msgs_per_s = Math.Round(devicePerS, 0),
                raw_mqtt_msgs_per_s = Math.Round(rawPerS, 0),
                ratio = Math.Round(devicePerS / rawPerS, 3),
                reference = "the same fleet process and messages through a plain MQTTnet broker (no sign-in, no handlers) to one subscriber on #, nothing persisted",
                target = "device_msgs_per_s >= 20000 and ratio >= 0.4",
            };
        }
        var pagesPerS = total / Median(withPages);
        return new
        {
            scenario = "ingest-burst",
            devices = Devices,
            messages = total,
            runs = console.Count,
            pages,
            // Pages whose HTML changed during the burst (fewest over the runs): the Batch Details pages show progress.
            pages_updated = pagesUpdated,
            seconds = Math.Round(Median(console), 2),
            with_pages_seconds = Math.Round(Median(withPages), 2),
            device_msgs_per_s = Math.Round(devicePerS, 0),
            with_pages_msgs_per_s = Math.Round(pagesPerS, 0),
            pages_ratio = Math.Round(pagesPerS / devicePerS, 3),
            // CPU seconds each process used during the burst (medians): where the extra time of the run with pages went.
            cpu_s = BurstCpu.Median(cpu),
            with_pages_cpu_s = BurstCpu.Median(cpuWithPages),
            raw_mqtt_msgs_per_s = Math.Round(rawPerS, 0),
            ratio = Math.Round(devicePerS / rawPerS, 3),
            reference = "device_msgs_per_s: the same burst on a console with no page open, same run; raw_mqtt_msgs_per_s: the same messages through a plain MQTTnet broker to one subscriber",
            target = "pages_ratio >= 0.9; device_msgs_per_s >= 20000 and ratio >= 0.4",
        };
    }

    /// <summary>
    /// An operator's clicks on a Batch Details page of 500 rows while 10,000 real devices (over MQTT) update at 10,000
    /// a minute, reporting progress as they go: milliseconds from a click to the rows of the view it asked for, in
    /// Chromium. The reference is the same page and the same clicks once the rollout is over and nothing is live.
    /// </summary>
    public static async Task<object> ClickLatencyAsync(int runs)
    {
        var live = new List<double>();
        var idle = new List<double>();
        var liveTabs = new List<double>();
        var idleTabs = new List<double>();
        await using var browser = await PageBrowser.StartAsync();
        for (var run = 0; run < Math.Max(1, runs); run++)
        {
            await using var fleet = FleetProcess.Start();
            await using var c = await RunningConsole.StartAsync();
            var (specs, package) = await c.SeedAsync();
            await ConnectAsync(fleet, c, c.MqttPort, specs, "None", TimeSpan.FromSeconds(20));
            await c.WaitAsync(async db => await db.Devices.CountAsync(d => d.IsOnline) == Devices, TimeSpan.FromMinutes(5));
            var batchId = (await c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(10_000) })).BatchId;
            await using var open = await browser.OpenAsync(c.BaseUrl, [$"/ota/batches/{batchId}?size=500"]);
            var page = open.Pages[0];
            await page.Locator(".tasks-table tbody tr").Nth(499).WaitForAsync();

            // During the push phase (a minute at this rate): the figure.
            await ClicksAsync(page, live, liveTabs);
            await using (var db = c.Db())
            {
                var b = await db.Batches.AsNoTracking().SingleAsync(x => x.Id == batchId);
                if (b.Counts.Queued == 0)
                    throw new InvalidOperationException("the rollout had ended before the clicks did: the figure is not of a live page");
            }
            // Then the reference: the same clicks with nothing live.
            await c.WaitAsync(async db => (await db.Batches.AsNoTracking().SingleAsync(x => x.Id == batchId)).Status == BatchStatus.Completed, TimeSpan.FromMinutes(10));
            await c.DrainAsync();
            await ClicksAsync(page, idle, idleTabs);
        }
        var liveMs = Median(live);
        var idleMs = Median(idle);
        return new
        {
            scenario = "click-latency",
            devices = Devices,
            rows = 500,
            push_rate_per_minute = 10_000,
            runs = Math.Max(1, runs),
            clicks = live.Count,
            click_ms = Math.Round(liveMs, 0),
            tab_ms = Math.Round(Median(liveTabs), 0),
            idle_click_ms = Math.Round(idleMs, 0),
            idle_tab_ms = Math.Round(Median(idleTabs), 0),
            ratio = Math.Round(liveMs / idleMs, 2),
            reference = "idle_click_ms: the same page and clicks after the rollout, nothing live; each figure from the click (in the page) to the rows of the new view in the DOM, median",
            target = "click_ms <= 300 and tab_ms <= 300",
        };
    }

    /// <summary>
    /// How far a bad firmware gets: 10,000 devices over real MQTT, each failing verification (−3) after a 2 s
    /// download, pushed at 10,000 a minute under one rule (all failures, 5 %, at least 100 ended). The devices the
    /// rule could not have stopped are its minimum plus those pushed while the first failures were on their way
    /// (rate × the device's failure time, measured: from push to failure report's arrival, median of the first 100;
    /// the nominal 2 s gives nominal_lower_bound); reaction is from the arrival of the report that tripped the rule
    /// to the pause, on the console's clock.
    /// </summary>
    public static async Task<object> BlastRadiusAsync(int runs)
    {
        const int minEnded = 100;
        const int perMinute = 10_000;
        var failureTime = TimeSpan.FromSeconds(2);
        var plain = new List<BlastRun>();
        var waved = new List<BlastRun>();
        for (var run = 0; run < Math.Max(1, runs); run++)
        {
            plain.Add(await BlastAsync(perMinute, minEnded, failureTime, []));
            waved.Add(await BlastAsync(perMinute, minEnded, failureTime,
            [
                new() { Size = WaveSize.Percent, Percent = 1, SuccessPercent = 95 },
                new() { Size = WaveSize.Percent, Percent = 10, SuccessPercent = 95 },
                new() { Size = WaveSize.Rest },
            ]));
        }
        var lower = Median(plain.Select(r => r.LowerBound));
        var pushed = Median(plain.Select(r => r.Pushed));
        var firstWave = (int)Math.Ceiling(Devices / 100.0);
        // One scheduler tick's pushes at the rate.
        var wavesLimit = firstWave + (int)Math.Ceiling(perMinute * RolloutScheduler.Interval.TotalMinutes);
        return new
        {
            scenario = "blast-radius",
            devices = Devices,
            push_rate_per_minute = perMinute,
            rule = "all failures, 5 %, at least 100 ended",
            device_failure_s = failureTime.TotalSeconds,
            runs = Math.Max(1, runs),
            pushed_before_pause = Math.Round(pushed, 0),
            pushed_runs = plain.Select(r => r.Pushed).ToList(),
            lower_bound_runs = plain.Select(r => Math.Round(r.LowerBound, 0)).ToList(),
            hundredth_failure_s = plain.Select(r => Math.Round(r.HundredthS, 2)).ToList(),
            device_failure_measured_s = Math.Round(Median(plain.Select(r => r.Latency)), 2),
            lower_bound = Math.Round(lower, 0),
            nominal_lower_bound = Math.Round(minEnded + perMinute / 60.0 * failureTime.TotalSeconds, 0),
            ratio = Math.Round(pushed / lower, 2),
            nominal_ratio = Math.Round(pushed / (minEnded + perMinute / 60.0 * failureTime.TotalSeconds), 2),
            reaction_ms = Math.Round(Median(plain.Select(r => r.ReactionMs)), 0),
            waves = "1 % / 10 % / rest, each passing at 95 %",
            waves_pushed_before_pause = Math.Round(Median(waved.Select(r => r.Pushed)), 0),
            waves_pushed_max = waved.Max(r => r.Pushed),
            waves_limit = wavesLimit,
            waves_reaction_ms = Math.Round(Median(waved.Select(r => r.ReactionMs)), 0),
            reference = "lower_bound: the rule's minimum plus the devices pushed while the first failures were on their way (rate x the device's measured failure time, push to report arrival, median of the first 100 failures); nominal_lower_bound: the same with the nominal 2 s; waves_limit: the first wave plus one tick's pushes",
            target = "ratio <= 1.2 and reaction_ms <= 1000; waves_pushed_max <= waves_limit",
        };
    }

    private sealed record BlastRun(double Pushed, double ReactionMs, double LowerBound, double Latency, double HundredthS);

    /// <summary>One fleet whose every device fails, one batch under the rule (and <paramref name="waves"/>), until it pauses.</summary>
    private static async Task<BlastRun> BlastAsync(int perMinute, int minEnded, TimeSpan failureTime, List<RolloutWave> waves)
    {
        await using var fleet = FleetProcess.Start();
        await using var c = await RunningConsole.StartAsync();
        var (specs, package) = await c.SeedAsync();
        await ConnectAsync(fleet, c, c.MqttPort, specs, "VerifyFailed", failureTime);
        await c.WaitAsync(async db => await db.Devices.CountAsync(d => d.IsOnline) == Devices, TimeSpan.FromMinutes(5));
        // Failure reports as they arrive, before they wait their turn.
        var failures = new System.Collections.Concurrent.ConcurrentQueue<(string Device, DateTimeOffset At)>();
        c.Queue.Observer = e =>
        {
            if (e is ProgressReported { Step: < 0 } p)
                failures.Enqueue((p.Device.DeviceName, DateTimeOffset.UtcNow));
        };
        var rule = new FailureRule { Failures = FailureKind.All, ThresholdPercent = 5, MinEnded = minEnded };
        var batchId = (await c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(perMinute), FailureRules = [rule], Waves = waves })).BatchId;
        await c.WaitAsync(async db => (await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId)).Status == BatchStatus.Paused, TimeSpan.FromMinutes(5));
        // Long enough for any push that was on its way to show: then the batch's count is final.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await using var db = c.Db();
        var batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId);
        if (batch.Status != BatchStatus.Paused)
            throw new InvalidOperationException($"the batch is {batch.Status}, not paused");
        var tripped = int.Parse(System.Text.RegularExpressions.Regex.Match(batch.PauseReason!, @"met: ([\d,]+) of").Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
        var arrivals = failures.OrderBy(f => f.At).ToList();
        var pushedAt = await db.Tasks.AsNoTracking().Where(t => t.BatchId == batchId && t.PushedAt != null).ToDictionaryAsync(t => t.DeviceName, t => t.PushedAt!.Value);
        // The failures the rule waited for (its first hundred) are the ones whose time on the way counts.
        var latency = Median(arrivals.Where(a => pushedAt.ContainsKey(a.Device)).Take(minEnded).Select(a => (a.At - pushedAt[a.Device]).TotalSeconds));
        var firstPush = pushedAt.Values.Min();
        return new BlastRun(batch.PushedCount, (batch.PausedAt!.Value - arrivals[tripped - 1].At).TotalMilliseconds, minEnded + perMinute / 60.0 * latency, latency,
            (arrivals[Math.Min(minEnded, arrivals.Count) - 1].At - firstPush).TotalSeconds);
    }

    /// <summary>Status-filter clicks (In upgrade, All, …) and tab switches, each timed in the page.</summary>    /// <summary>Status-filter clicks (In upgrade, All, …) and tab switches, each timed in the page.</summary>
    private static async Task ClicksAsync(Microsoft.Playwright.IPage page, List<double> clicks, List<double> tabs)
    {
        for (var i = 0; i < 10; i++)
        {
            var (chip, view) = i % 2 == 0 ? (".filter-InProgress", "InProgress|") : (".filter-all", "All|");
            clicks.Add(await ClickTiming.ClickUntilAsync(page, $"document.querySelector('{chip}')", ClickTiming.RowsOf(view)));
        }
        for (var i = 0; i < 3; i++)
        {
            tabs.Add(await ClickTiming.ClickUntilAsync(page, ClickTiming.Tab("Batch information"), "document.querySelector('.batch-info') !== null"));
            tabs.Add(await ClickTiming.ClickUntilAsync(page, ClickTiming.Tab("Device List"), "document.querySelectorAll('.tasks-table tbody tr').length > 0"));
        }
    }

    /// <summary>
    /// One burst on a fresh console: seconds from the burst's start until every report is applied and persisted,
    /// and how many of the open pages the burst re-rendered.
    /// </summary>
    private static async Task<(double Seconds, int PagesUpdated, BurstCpu Cpu)> ConsoleBurstAsync(FleetProcess fleet, int perDevice, int pages, PageBrowser? browser)
    {
        await using var c = await RunningConsole.StartAsync();
        var (specs, package) = await c.SeedAsync();
        // Silent devices report "0" on the notice and then wait: every task stays In upgrade.
        await ConnectAsync(fleet, c, c.MqttPort, specs, "Silent", TimeSpan.Zero);
        await c.WaitAsync(async db => await db.Devices.CountAsync(d => d.IsOnline) == Devices, TimeSpan.FromMinutes(5));
        var batchId = (await c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(PushRate.Max) })).BatchId;
        await c.WaitAsync(async db => (await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId)).Counts.InProgress == Devices, TimeSpan.FromMinutes(5));
        await c.DrainAsync();

        string[] routes = ["/", $"/ota/batches/{batchId}", $"/ota/packages/{package.Id}?tab=3"];
        await using var open = browser is null ? null : await browser.OpenAsync(c.BaseUrl, Enumerable.Range(0, pages).Select(i => routes[i % routes.Length]));

        if (open is not null)
            await open.SnapshotAsync();
        var target = c.Queue.Enqueued + (long)Devices * perDevice;
        var cpuBefore = BurstCpu.Now(fleet);
        var sw = Stopwatch.StartNew();
        await fleet.AskAsync($"burst {perDevice}", TimeSpan.FromMinutes(10));
        await c.WaitAsync(_ => Task.FromResult(c.Queue.Enqueued >= target && c.Queue.Applied >= c.Queue.Enqueued), TimeSpan.FromMinutes(10));
        var seconds = sw.Elapsed.TotalSeconds;
        var cpuUsed = BurstCpu.Now(fleet) - cpuBefore;
        await using var db = c.Db();
        var atTwenty = await db.Tasks.CountAsync(t => t.BatchId == batchId && t.Progress == perDevice);
        if (atTwenty != Devices)
            throw new InvalidOperationException($"only {atTwenty} tasks reached progress {perDevice}");
        var updated = 0;
        if (open is not null)
        {
            await open.CheckAliveAsync();
            updated = await open.ChangedAsync();
        }
        return (seconds, updated, cpuUsed);
    }

    /// <summary>CPU seconds of the console (this process), the device fleet and the browser.</summary>
    private sealed record BurstCpu(double Console, double Fleet, double Browser)
    {
        public static BurstCpu Now(FleetProcess fleet) => new(CpuTime.Self(), CpuTime.Of(fleet.Id), CpuTime.Browser());

        public static BurstCpu operator -(BurstCpu a, BurstCpu b) => new(a.Console - b.Console, a.Fleet - b.Fleet, a.Browser - b.Browser);

        public static object Median(List<BurstCpu> xs) => new
        {
            console = Math.Round(BridgeScenarios.Median(xs.Select(x => x.Console)), 2),
            fleet = Math.Round(BridgeScenarios.Median(xs.Select(x => x.Fleet)), 2),
            browser = Math.Round(BridgeScenarios.Median(xs.Select(x => x.Browser)), 2),
        };
    }

    /// <summary>The same burst through a plain MQTTnet broker (no sign-in, no handlers) to one subscriber on "#".</summary>
    private static async Task<double> RawFanInAsync(FleetProcess fleet, int perDevice)
    {
        var options = new MqttServerOptionsBuilder().WithDefaultEndpoint().WithDefaultEndpointPort(0).WithMaxPendingMessagesPerClient(1_000_000).Build();
        using var server = new MqttServerFactory().CreateMqttServer(options);
        await server.StartAsync();
        var port = options.DefaultEndpointOptions.Port;
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        long received = 0;
        subscriber.ApplicationMessageReceivedAsync += _ =>
        {
            Interlocked.Increment(ref received);
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("fan-in").Build());
        await subscriber.SubscribeAsync("#");

        var specs = Path.Combine(Path.GetTempPath(), $"ota-raw-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(specs, JsonSerializer.Serialize(Enumerable.Range(0, Devices).Select(i => new FleetDevice(ProductKey, DeviceName(i), "x", "1.0.0"))));
        await fleet.AskAsync($"connect 127.0.0.1 {port} {specs} None 0 64", TimeSpan.FromMinutes(10));
        File.Delete(specs);
        // The connect-time version reports arrive first; count from a settled start.
        var settled = -1L;
        while (Interlocked.Read(ref received) != settled)
        {
            settled = Interlocked.Read(ref received);
            await Task.Delay(500);
        }
        var target = settled + (long)Devices * perDevice;
        var sw = Stopwatch.StartNew();
        await fleet.AskAsync($"burst {perDevice}", TimeSpan.FromMinutes(10));
        while (Interlocked.Read(ref received) < target && sw.Elapsed < TimeSpan.FromMinutes(10))
            await Task.Delay(5);
        var seconds = sw.Elapsed.TotalSeconds;
        await server.StopAsync();
        return seconds;
    }

    private static async Task ConnectAsync(FleetProcess fleet, RunningConsole console, int port, List<FleetDevice> specs, string failure, TimeSpan deviceTime)
    {
        var file = Path.Combine(console.Folder, "fleet.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(specs));
        var answer = await fleet.AskAsync($"connect 127.0.0.1 {port} {file} {failure} {(int)deviceTime.TotalMilliseconds} 64", TimeSpan.FromMinutes(10));
        if (answer[2] != "0")
            throw new InvalidOperationException($"{answer[2]} simulated devices could not sign in");
    }

    private static (long Heap, long Rss) Memory()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var p = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(false), p.WorkingSet64);
    }

    private static string DeviceName(int i) => $"fleet-{i:D5}";

    internal static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>The console itself, as `dotnet run --project OtaConsole` starts it, on a temp folder and free ports.</summary>
    internal sealed class RunningConsole : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private RunningConsole(WebApplication app, string folder)
        {
            _app = app;
            Folder = folder;
        }

        public string Folder { get; }
        public IServiceProvider Services => _app.Services;
        public RolloutEngine Engine => Services.GetRequiredService<RolloutEngine>();
        public DeviceEventQueue Queue => Services.GetRequiredService<DeviceEventQueue>();
        public int MqttPort => Services.GetRequiredService<EmbeddedBroker>().Port;
        public string BaseUrl => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        public static async Task<RunningConsole> StartAsync()
        {
            var folder = Directory.CreateTempSubdirectory("ota-bench-console-").FullName;
            var app = ConsoleApp.Build([
                "--Urls=http://127.0.0.1:0", $"--Ota:DataDirectory={folder}", "--Ota:Mqtt:EphemeralPorts=true", "--Ota:Mqtt:TlsPort=0", "--Ota:Mqtt:Host=127.0.0.1",
                "--Ota:Demo:Devices=0", $"--Ota:Auth:InitialAdmin:Email={PageBrowser.AdminEmail}", $"--Ota:Auth:InitialAdmin:Password={PageBrowser.AdminPassword}", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.AspNetCore=Error", "--environment=Production",
            ], // A build has no published wwwroot: pages need the framework's and MudBlazor's files from the static web assets manifest.
            b => b.WebHost.UseStaticWebAssets());
            await app.StartAsync();
            return new RunningConsole(app, folder);
        }

        /// <summary>10,000 devices on 1.0.0 and a 64 KB package to 2.0.0.</summary>
        public async Task<(List<FleetDevice> Specs, UpdatePackage Package)> SeedAsync()
        {
            var catalog = Services.GetRequiredService<CatalogService>();
            await catalog.CreateProductAsync(Actor.System, "Bench fleet", ProductKey);
            var registered = await catalog.RegisterDevicesAsync(Actor.System, ProductKey, Enumerable.Range(0, Devices).Select(i => new DeviceRegistration(DeviceName(i))).ToList());
            var package = await Services.GetRequiredService<PackageService>().CreateAsync(Actor.System, new CreatePackageRequest
            {
                ProductKey = ProductKey,
                Name = "bench-2_0_0",
                DestVersion = "2.0.0",
                NeedToVerify = false,
                Files = [new PackageFileUpload("fw.bin", new MemoryStream(RandomNumberGenerator.GetBytes(64 * 1024)))],
            });
            return (registered.Registered.Select(d => new FleetDevice(ProductKey, d.DeviceName, d.DeviceSecret, "1.0.0")).ToList(), package);
        }

        public OtaDbContext Db() => Services.GetRequiredService<IDbContextFactory<OtaDbContext>>().CreateDbContext();

        public async Task WaitAsync(Func<OtaDbContext, Task<bool>> condition, TimeSpan timeout)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                await using (var db = Db())
                {
                    if (await condition(db))
                        return;
                }
                if (sw.Elapsed > timeout)
                    throw new TimeoutException("the bench waited too long");
                await Task.Delay(100);
            }
        }

        public Task DrainAsync() => WaitAsync(_ => Task.FromResult(Queue.Applied >= Queue.Enqueued), TimeSpan.FromMinutes(5));

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Folder, true);
        }
    }
}
