using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Diagnostics;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Diagnostics;

/// <summary>/metrics, /healthz and /readyz on the real console, with simulated devices on real MQTT.</summary>
public sealed class MetricsAndHealthTests
{
    /// <summary>The value of one series in Prometheus text ("name{labels} value"), or null when it is absent.</summary>
    private static double? Value(string text, string series)
    {
        var lines = text.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count <= 1, $"{series} appears {lines.Count} times");
        return lines.Count == 0 ? null : double.Parse(lines[0][(series.Length + 1)..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static async Task<string> ScrapeAsync(ConsoleHost c)
    {
        using var response = await c.Http.GetAsync(c.BaseUrl + "/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Metrics_show_the_bridge_and_the_engine_after_device_traffic()
    {
        await using var c = await ConsoleHost.StartAsync();
        await c.ProductAsync();
        var specs = await c.RegisterAsync(3);
        var device = await c.OnlineAsync(specs[0]);
        Assert.False(await c.Device(specs[1] with { Secret = "not-the-secret" }).ConnectAsync());
        await using (var junk = SimulatedDevice.MqttLink(specs[2], "127.0.0.1", c.MqttPort))
        {
            Assert.True(await junk.ConnectAsync(TestContext.Current.CancellationToken));
            await junk.PublishAsync(AlinkTopics.Progress(specs[2].Key), "not json"u8.ToArray(), true, TestContext.Current.CancellationToken);
            await c.UntilAsync(() => Task.FromResult(c.Stats.DroppedTotal), n => n >= 1, "the drop", advanceClock: false);
        }
        // A device the engine holds online but that has no connection: its task stays pushed, so the batch keeps running.
        await c.ReportedDevicesAsync(1, prefix: "idle");
        var package = await c.PackageAsync();
        var batch = await c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, Target = TargetSelection.Specific, DeviceNames = ["dev-000", "idle-000"] });
        await c.TaskReachesAsync(batch.BatchId, "dev-000", OtaTaskStatus.Succeeded);
        // idle-000 "reconnects" with its task pushed: its notice goes out again.
        await c.Engine.ApplyDeviceEventsAsync([new DeviceConnected(new DeviceKey(ConsoleHost.ProductKey, "idle-000"))]);
        await c.UntilAsync(() => Task.FromResult(c.Stats.NoticesResent), n => n >= 1, "the re-sent notice");
        await c.WaitForAsync(() => Task.FromResult(c.Stats.NoticesSent >= 3), advanceClock: false, what: "the notices to go out");
        await c.DrainAsync();
        c.Time.Advance(RolloutFigures.MaxAge);

        var text = await ScrapeAsync(c);

        Assert.Equal(1, Value(text, Series("ota_devices_connected")));
        Assert.Equal(2, Value(text, Series("ota_devices_online")));
        Assert.Equal(2, Value(text, Series("ota_signins_total", "result=\"accepted\"")));
        Assert.Equal(1, Value(text, Series("ota_signins_total", "reason=\"bad_credentials\",result=\"refused\"")));
        Assert.Equal(0, Value(text, Series("ota_signins_total", "reason=\"bad_keep_alive\",result=\"refused\"")));
        Assert.Equal(c.Stats.EventsAccepted, Value(text, Series("ota_messages_received_total", "outcome=\"accepted\"")));
        Assert.True(c.Stats.EventsAccepted >= 7); // a version, five progress reports, the new version
        Assert.Equal(1, Value(text, Series("ota_messages_dropped_total", "reason=\"not_json\"")));
        Assert.Equal(c.Stats.NoticesSent, Value(text, Series("ota_notices_total", "outcome=\"sent\"")));
        Assert.Equal(0, Value(text, Series("ota_notices_total", "outcome=\"failed\"")));
        Assert.Equal(c.Stats.NoticesResent, Value(text, Series("ota_notices_resent_total")));
        Assert.True(c.Stats.NoticesResent >= 1);
        Assert.Equal(0, Value(text, Series("ota_events_queue_depth")));
        Assert.Equal(c.Queue.Applied, Value(text, Series("ota_events_applied_total")));
        Assert.True(Value(text, Series("ota_events_apply_duration_seconds_count")) >= 1);
        Assert.True(Value(text, Series("ota_writer_step_duration_seconds_count")) >= 3); // devices, the batch, ticks
        Assert.NotNull(Value(text, Series("ota_writer_step_duration_seconds_bucket", "le=\"0.001\"")));
        var b = $"batch=\"{batch.BatchId}\"";
        Assert.Equal(1, Value(text, Series("ota_batch_tasks", b, "status=\"succeeded\"")));
        Assert.Equal(1, Value(text, Series("ota_batch_tasks", b, "status=\"notified\"")));
        Assert.Equal(0, Value(text, Series("ota_batch_tasks", b, "status=\"failed\"")));
        Assert.Equal(2, Value(text, Series("ota_batch_pushed_total", b)));
        Assert.Equal(PushRate.Default.PerMinute, Value(text, Series("ota_batch_push_rate_configured_per_min", b)));
    }

    /// <summary>A series as the exporter writes it: the meter's scope label first, then the instrument's.</summary>
    private static string Series(string name, params string[] labels) => $"{name}{{{string.Join(',', ["otel_scope_name=\"OtaConsole\"", .. labels])}}}";

    [Fact]
    public async Task The_measured_push_rate_is_the_pushes_between_two_reads_a_minute()
    {
        await using var c = await ConsoleHost.StartAsync();
        await c.ProductAsync();
        await c.ReportedDevicesAsync(6);
        var package = await c.PackageAsync();
        var batch = await c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(10) });
        var b = $"batch=\"{batch.BatchId}\"";

        var first = await ScrapeAsync(c);
        var at = c.Time.GetUtcNow();
        var before = Value(first, Series("ota_batch_pushed_total", b))!.Value;
        Assert.Null(Value(first, Series("ota_batch_push_rate_actual_per_min", b))); // one read is no rate yet
        await c.UntilAsync(async () => { await using var db = c.Db(); return db.Batches.Single(x => x.Id == batch.BatchId).PushedCount; },
            pushed => pushed == 6, "every push");
        c.Time.Advance(RolloutFigures.MaxAge);

        var second = await ScrapeAsync(c);
        var minutes = (c.Time.GetUtcNow() - at).TotalMinutes;
        Assert.Equal(6, Value(second, Series("ota_batch_pushed_total", b)));
        Assert.Equal(10, Value(second, Series("ota_batch_push_rate_configured_per_min", b)));
        Assert.Equal((6 - before) / minutes, Value(second, Series("ota_batch_push_rate_actual_per_min", b))!.Value, 6);
    }

    [Fact]
    public async Task Each_console_exports_its_own_figures_only()
    {
        await using var a = await ConsoleHost.StartAsync();
        await using var b = await ConsoleHost.StartAsync();
        await a.ProductAsync();
        await a.OnlineAsync((await a.RegisterAsync(1))[0]);

        Assert.Equal(1, Value(await ScrapeAsync(a), Series("ota_devices_connected")));
        Assert.Equal(0, Value(await ScrapeAsync(b), Series("ota_devices_connected")));
    }

    [Fact]
    public async Task Healthz_answers_while_the_process_serves_and_readyz_when_database_and_broker_are_up()
    {
        await using var c = await ConsoleHost.StartAsync();

        var (healthStatus, health) = await GetAsync(c, "/healthz");
        Assert.Equal(HttpStatusCode.OK, healthStatus);
        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        var (readyStatus, ready) = await GetAsync(c, "/readyz");
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.Equal("ok", ready.GetProperty("checks").GetProperty("database").GetString());
        Assert.Equal("ok", ready.GetProperty("checks").GetProperty("broker").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_with_the_reason_when_the_broker_is_not_listening()
    {
        await using var c = await ConsoleHost.StartAsync();
        await c.Services.GetRequiredService<EmbeddedBroker>().StopAsync(TestContext.Current.CancellationToken);

        var (status, ready) = await GetAsync(c, "/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", ready.GetProperty("status").GetString());
        Assert.Contains("not listening", ready.GetProperty("checks").GetProperty("broker").GetString());
        Assert.Equal("ok", ready.GetProperty("checks").GetProperty("database").GetString());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(c, "/healthz")).Status);
    }

    [Fact]
    public async Task Readyz_is_503_with_the_reason_when_the_external_broker_is_not_connected()
    {
        await using var c = await ConsoleHost.StartAsync(new Dictionary<string, string?>
        {
            ["Ota:Mqtt:Mode"] = "External",
            ["Ota:Mqtt:Port"] = "1", // nothing listens there
        });

        var (status, ready) = await GetAsync(c, "/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("not connected to the external MQTT broker 127.0.0.1:1", ready.GetProperty("checks").GetProperty("broker").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_with_the_reason_when_the_database_cannot_be_read()
    {
        await using var c = await ConsoleHost.StartAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(c.Folder, true);

        var (status, ready) = await GetAsync(c, "/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("database", ready.GetProperty("checks").GetProperty("database").GetString());
        Assert.Equal("ok", ready.GetProperty("checks").GetProperty("broker").GetString());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(c, "/healthz")).Status);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(ConsoleHost c, string path)
    {
        using var response = await c.Http.GetAsync(c.BaseUrl + path);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
