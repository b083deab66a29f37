using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Core.Webhooks;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Webhooks;

/// <summary>Webhooks from the real engine to a real HTTP receiver that checks every signature: on fake time, driven round by round.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private static readonly Actor Admin = new(ActorKind.Operator, "admin@console.test", "admin@console.test", OperatorRole.Admin);
    private static readonly Actor Operator = new(ActorKind.Operator, "op@console.test", "op@console.test", OperatorRole.Operator);
    private readonly EngineHarness _h = new();
    private readonly WebhookOptions _options = new() { RequestTimeout = TimeSpan.FromSeconds(2) };
    private WebhookReceiver _receiver = null!;
    private WebhookDispatcher _dispatcher = null!;
    private WebhookService _service = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _dispatcher = NewDispatcher();
        _service = new WebhookService(_h.Database, _h.Time, _h.Secrets, _h.Audited, _dispatcher);
        await _h.ProductAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _dispatcher.Dispose();
        await _receiver.DisposeAsync();
        _h.Dispose();
    }

    private WebhookDispatcher NewDispatcher(string node = "node-1") =>
        new(_h.Database, _h.Time, _h.Secrets, Options.Create(_options), Options.Create(new RolloutOptions { NodeId = node }), NullLogger<WebhookDispatcher>.Instance);

    private Task<long> SubscribeAsync(bool deviceEvents = true, params string[] types) =>
        _service.CreateAsync(Admin, new WebhookRequest("ops", _receiver.Url, _receiver.Secret, types.Length == 0 ? ["*"] : types, DeviceEvents: deviceEvents));

    /// <summary>Dispatcher rounds, a second of fake time apart, until the receiver has acknowledged that many events (or the rounds run out).</summary>
    private async Task DeliverAsync(int events, int rounds = 30, TimeSpan? step = null)
    {
        for (var i = 0; i < rounds && AcknowledgedEvents().Count < events; i++)
        {
            _h.Time.Advance(step ?? TimeSpan.FromSeconds(1));
            await _dispatcher.RunOnceAsync();
        }
    }

    private List<JsonElement> AcknowledgedEvents() => _receiver.Acknowledged.SelectMany(r => r.Events).ToList();
    private List<string> AcknowledgedTypes() => AcknowledgedEvents().Select(e => e.GetProperty("type").GetString()!).ToList();

    [Fact]
    public async Task Every_event_type_comes_from_the_real_engine_signed_and_in_the_order_it_happened()
    {
        await SubscribeAsync();
        var devices = await _h.DevicesAsync(6);
        // A package verified (its test device updates) and one that fails verification.
        var good = await _h.PackageAsync("2.0.0", needToVerify: true);
        await _h.Engine.CreateBatchAsync(Actor.System, CreateBatchRequest.Verify(good.Id, devices[0]));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync(devices[0], "2.0.0");
        var bad = await _h.PackageAsync("2.0.1", needToVerify: true);
        await _h.Engine.CreateBatchAsync(Actor.System, CreateBatchRequest.Verify(bad.Id, devices[1]));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync(devices[1], -3);
        // A rollout in two waves, paused and resumed, one device failing, the rest cancelled.
        var p = await _h.PackageAsync("3.0.0");
        var batch = (await _h.BatchAsync(p.Id, r => r with
        {
            Waves = [new() { Size = WaveSize.Count, Count = 2, SuccessPercent = 50 }, new() { Size = WaveSize.Rest }],
        })).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        await _h.VersionAsync(devices[0], "3.0.0");
        await _h.ProgressAsync(devices[1], -1);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        await _h.Engine.PauseBatchAsync(Operator, batch);
        await _h.Engine.ResumeBatchAsync(Operator, batch);
        await _h.Engine.CancelBatchAsync(Operator, batch, alsoRunningTasks: true);
        var again = await _h.PackageAsync("4.0.0");
        var last = (await _h.BatchAsync(again.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = [devices[5]] })).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync(devices[5], "4.0.0");

        await using (var db = _h.Database.CreateDbContext())
            Assert.True(await db.OutboxEvents.CountAsync() > 20);
        int total;
        await using (var db = _h.Database.CreateDbContext())
            total = await db.OutboxEvents.CountAsync();
        await DeliverAsync(total, rounds: 200);

        Assert.All(_receiver.Requests, r => Assert.True(r.SignatureValid, $"request {r.Number} signed wrongly"));
        Assert.Equal(OtaEventTypes.All.Order(), AcknowledgedTypes().Distinct().Order());
        // In the outbox's order, each event once.
        var ids = AcknowledgedEvents().Select(e => long.Parse(e.GetProperty("id").GetString()!)).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(total, ids.Distinct().Count());
        // Cause before effect: the verifying task's success, then its batch completed, then the package verified.
        var types = AcknowledgedTypes();
        Assert.True(types.IndexOf(OtaEventTypes.TaskSucceeded) < types.IndexOf(OtaEventTypes.BatchCompleted));
        Assert.True(types.IndexOf(OtaEventTypes.BatchCompleted) < types.IndexOf(OtaEventTypes.PackageVerified));
        var completed = AcknowledgedEvents().Last(e => e.GetProperty("type").GetString() == OtaEventTypes.BatchCompleted);
        Assert.Equal(last, completed.GetProperty("subject").GetString());
        Assert.Equal("1.0", completed.GetProperty("specversion").GetString());
        var failed = AcknowledgedEvents().First(e => e.GetProperty("type").GetString() == OtaEventTypes.TaskFailed);
        Assert.Equal("-3", failed.GetProperty("data").GetProperty("failureCode").GetString());
        var paused = AcknowledgedEvents().Single(e => e.GetProperty("type").GetString() == OtaEventTypes.BatchPaused);
        Assert.Contains("paused by", paused.GetProperty("data").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_receiver_that_fails_five_times_gets_everything_later_in_order_once_per_delivery_it_acknowledged()
    {
        _receiver.Answer = n => n <= 5 ? 503 : 200;
        await SubscribeAsync(deviceEvents: false);
        for (var i = 0; i < 4; i++)
            await _h.PackageAsync($"2.0.{i}");
        // Back-off: 10, 20, 40, 80, 160 s; a round every 10 s of fake time covers it.
        await DeliverAsync(4, rounds: 100, step: TimeSpan.FromSeconds(10));

        Assert.Equal(9, _receiver.Requests.Count); // five refusals of the first, then four taken
        Assert.Single(_receiver.Requests.Take(5).Select(r => r.DeliveryId).Distinct());
        var acknowledged = _receiver.Acknowledged.ToList();
        Assert.Equal(4, acknowledged.Count);
        Assert.Equal(["2.0.0", "2.0.1", "2.0.2", "2.0.3"], acknowledged.Select(r => r.Events.Single().GetProperty("data").GetProperty("destVersion").GetString()));
        var log = await _service.DeliveriesAsync(Admin, (await _service.ListAsync(Admin)).Single().Id);
        var first = log.Last();
        Assert.Equal((DeliveryStatus.Delivered, 6, 200), (first.Status, first.Attempts, first.LastStatusCode));
        var attempts = await _service.AttemptsAsync(Admin, first.Id);
        Assert.Equal([503, 503, 503, 503, 503, 200], attempts.Select(a => a.StatusCode ?? 0));
        Assert.Equal("not now", attempts[0].ResponseStart);
    }

    [Fact]
    public async Task A_console_restarted_mid_delivery_sends_the_same_delivery_again_and_loses_nothing()
    {
        _receiver.Answer = n => n == 1 ? 500 : 200;
        await SubscribeAsync(deviceEvents: false);
        await _h.PackageAsync("2.0.0");
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await _dispatcher.RunOnceAsync();
        Assert.Single(_receiver.Requests);
        // The node stops (its lease released on a clean stop, or run out after a crash) and another process starts.
        await _dispatcher.ReleaseLeaseAsync(default);
        _dispatcher.Dispose();
        await _h.PackageAsync("2.0.1"); // while it was away
        _dispatcher = NewDispatcher();
        await DeliverAsync(2, step: TimeSpan.FromSeconds(10));

        var requests = _receiver.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.Equal(requests[0].DeliveryId, requests[1].DeliveryId);
        Assert.Equal(["2.0.0", "2.0.1"], _receiver.Acknowledged.Select(r => r.Events.Single().GetProperty("data").GetProperty("destVersion").GetString()));
    }

    [Fact]
    public async Task Device_events_go_grouped_at_most_one_request_per_window_and_rollout_events_alone()
    {
        await SubscribeAsync(deviceEvents: true, OtaEventTypes.TaskSucceeded, OtaEventTypes.BatchCompleted);
        var devices = await _h.DevicesAsync(50);
        var p = await _h.PackageAsync("2.0.0");
        await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(1000) });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(5));
        foreach (var d in devices.Take(30))
            await _h.VersionAsync(d, "2.0.0");
        // No group went out yet: these go at once, together.
        await _dispatcher.RunOnceAsync();
        var first = Assert.Single(_receiver.Requests);
        Assert.Equal(30, first.Events.Count);
        Assert.StartsWith("application/cloudevents-batch+json", first.ContentType);

        foreach (var d in devices.Skip(30).Take(10))
            await _h.VersionAsync(d, "2.0.0");
        _h.Time.Advance(TimeSpan.FromMilliseconds(500));
        await _dispatcher.RunOnceAsync();
        Assert.Single(_receiver.Requests); // a group went out less than a window ago
        foreach (var d in devices.Skip(40))
            await _h.VersionAsync(d, "2.0.0");
        await DeliverAsync(51, step: TimeSpan.FromMilliseconds(500));
        var requests = _receiver.Requests.ToList();
        Assert.Equal([30, 20, 1], requests.Select(r => r.Events.Count));
        Assert.StartsWith("application/cloudevents+json", requests[2].ContentType);
        Assert.Equal(OtaEventTypes.BatchCompleted, requests[2].Events[0].GetProperty("type").GetString());
        Assert.All(requests, r => Assert.True(r.SignatureValid));
    }

    [Fact]
    public async Task A_receiver_answering_410_disables_its_subscription_and_nothing_more_is_sent()
    {
        _receiver.Answer = _ => 410;
        var id = await SubscribeAsync(deviceEvents: false);
        await _h.PackageAsync("2.0.0");
        await _h.PackageAsync("2.0.1");
        await DeliverAsync(2, rounds: 5);
        Assert.Single(_receiver.Requests);
        var view = (await _service.ListAsync(Admin)).Single();
        Assert.False(view.Enabled);
        Assert.Contains("410", view.DisabledReason);
        Assert.Equal(1, view.Failed);
        // Turned on again by an Admin, it carries on after the delivery refused; the refused one can be redelivered.
        _receiver.Answer = _ => 200;
        await _service.SetEnabledAsync(Admin, id, true);
        await DeliverAsync(1);
        Assert.Equal(["2.0.1"], _receiver.Acknowledged.Select(r => r.Events.Single().GetProperty("data").GetProperty("destVersion").GetString()));
        var refused = (await _service.DeliveriesAsync(Admin, id)).Single(d => d.Status == DeliveryStatus.Failed);
        await _service.RedeliverAsync(Admin, refused.Id);
        await DeliverAsync(2);
        Assert.Equal(["2.0.1", "2.0.0"], _receiver.Acknowledged.Select(r => r.Events.Single().GetProperty("data").GetProperty("destVersion").GetString()));
    }

    [Fact]
    public async Task A_delivery_is_given_up_after_the_retry_time_and_the_next_goes_out()
    {
        _receiver.Answer = _ => 500;
        await SubscribeAsync(deviceEvents: false);
        await _h.PackageAsync("2.0.0");
        // Retried for 25 hours (Ota:Webhooks:RetryFor), then given up.
        for (var i = 0; i < 30; i++)
        {
            _h.Time.Advance(TimeSpan.FromHours(1));
            await _dispatcher.RunOnceAsync();
        }
        _receiver.Answer = _ => 200;
        var log = await _service.DeliveriesAsync(Admin, (await _service.ListAsync(Admin)).Single().Id);
        Assert.Equal(DeliveryStatus.Failed, log.Single().Status);
        Assert.InRange(log.Single().Attempts, 20, 30);
        await _h.PackageAsync("2.0.1");
        await DeliverAsync(1);
        Assert.Equal(["2.0.1"], _receiver.Acknowledged.Select(r => r.Events.Single().GetProperty("data").GetProperty("destVersion").GetString()));
    }

    [Fact]
    public async Task With_no_subscription_nothing_is_written_to_the_outbox()
    {
        await _h.DevicesAsync(3);
        var p = await _h.PackageAsync("2.0.0");
        await _h.BatchAsync(p.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        await using var db = _h.Database.CreateDbContext();
        Assert.Equal(0, await db.OutboxEvents.CountAsync());
    }

    [Fact]
    public async Task The_test_button_pings_outside_the_queue_and_logs_it()
    {
        var id = await SubscribeAsync();
        var result = await _service.PingAsync(Admin, id);
        Assert.Equal(200, result.StatusCode);
        var ping = Assert.Single(_receiver.Requests);
        Assert.True(ping.SignatureValid);
        Assert.Equal(OtaEventTypes.Ping, ping.Events[0].GetProperty("type").GetString());
        Assert.Equal(DeliveryStatus.Delivered, (await _service.DeliveriesAsync(Admin, id)).Single().Status);
    }

    [Theory]
    [InlineData("ftp://example.com/hook", "a-long-enough-secret", "*", "Url")]
    [InlineData("http://user:pw@example.com/hook", "a-long-enough-secret", "*", "Url")]
    [InlineData("not a url", "a-long-enough-secret", "*", "Url")]
    [InlineData("https://example.com/hook", "short", "*", "Secret")]
    [InlineData("https://example.com/hook", "a-long-enough-secret", "io.otaconsole.nothing", "EventTypes")]
    public async Task A_subscription_with_a_bad_field_is_refused_naming_it(string url, string secret, string type, string field)
    {
        var e = await Assert.ThrowsAsync<OtaValidationException>(() => _service.CreateAsync(Admin, new WebhookRequest("x", url, secret, [type])));
        Assert.Contains(e.Errors, x => x.Field == field);
        Assert.Empty(await _service.ListAsync(Admin));
    }

    [Fact]
    public async Task With_two_nodes_one_sends_and_the_other_takes_over_when_its_lease_runs_out()
    {
        await SubscribeAsync(deviceEvents: false);
        using var other = NewDispatcher("node-2");
        await _h.PackageAsync("2.0.0");
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await _dispatcher.RunOnceAsync());
        await _h.PackageAsync("2.0.1");
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await other.RunOnceAsync()); // node-1 holds the lease
        // node-1 stops without a word (a crash): once its lease has run out, node-2 goes on from the cursor.
        _h.Time.Advance(new RolloutOptions().SchedulerLease + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await other.RunOnceAsync());
        Assert.Equal(0, await _dispatcher.RunOnceAsync());

        Assert.Equal(["2.0.0", "2.0.1"], _receiver.Acknowledged.Select(r => r.Events.Single().GetProperty("data").GetProperty("destVersion").GetString()));
        Assert.Equal(2, _receiver.Requests.Select(r => r.DeliveryId).Distinct().Count());
    }

    [Fact]
    public async Task Week_old_events_every_reader_has_passed_are_pruned_and_the_rest_kept()
    {
        await SubscribeAsync(deviceEvents: false);
        for (var i = 0; i < 3; i++)
            await _h.PackageAsync($"2.0.{i}");
        await DeliverAsync(3);
        _receiver.Answer = _ => 503;
        await _h.PackageAsync("2.0.3");
        await _h.PackageAsync("2.0.4");
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await _dispatcher.RunOnceAsync(); // 2.0.3 taken into a delivery the receiver refuses; 2.0.4 waits behind it
        _h.Time.Advance(TimeSpan.FromDays(8));

        var (events, deliveries) = await _dispatcher.PruneAsync();

        Assert.Equal((4, 3), (events, deliveries));
        await using (var db = _h.Database.CreateDbContext())
        {
            Assert.Equal(1, await db.OutboxEvents.CountAsync());
            Assert.Equal(1, await db.WebhookDeliveries.CountAsync(d => d.Status == DeliveryStatus.Pending));
            Assert.Equal(1, await db.WebhookDeliveries.CountAsync());
        }
        // What was not passed yet still goes out, in order.
        _receiver.Answer = _ => 200;
        await DeliverAsync(5, step: TimeSpan.FromHours(1));
        Assert.Equal(["2.0.0", "2.0.1", "2.0.2", "2.0.3", "2.0.4"],
            _receiver.Acknowledged.Select(r => r.Events.Single().GetProperty("data").GetProperty("destVersion").GetString()));
        Assert.Equal((0, 0), await _dispatcher.PruneAsync());
    }

    [Fact]
    public async Task Status_changes_written_for_Alibabas_messages_are_not_sent_as_webhooks()
    {
        await using (var db = _h.Database.CreateDbContext())
            await db.SchedulerLeases.Where(l => l.Name == SchedulerLease.AlibabaMessagesName).ExecuteUpdateAsync(x => x.SetProperty(l => l.Cursor, 0L));
        await SubscribeAsync(deviceEvents: true);
        var devices = await _h.DevicesAsync(1);
        var p = await _h.PackageAsync("2.0.0");
        await _h.BatchAsync(p.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        await _h.ProgressAsync(devices[0], 50);
        await _h.VersionAsync(devices[0], "2.0.0");
        await using (var db = _h.Database.CreateDbContext())
            Assert.Equal(2, await db.OutboxEvents.CountAsync(e => e.Type == OtaEventTypes.TaskStatusChanged));
        await DeliverAsync(5, rounds: 20);

        Assert.Equal([OtaEventTypes.PackageUploaded, OtaEventTypes.BatchCreated, OtaEventTypes.BatchStarted, OtaEventTypes.TaskSucceeded, OtaEventTypes.BatchCompleted], AcknowledgedTypes());
    }

    [Fact]
    public async Task Only_an_admin_manages_subscriptions()
    {
        await Assert.ThrowsAsync<OtaException>(() => _service.CreateAsync(Operator, new WebhookRequest("x", _receiver.Url, _receiver.Secret, ["*"])));
        await Assert.ThrowsAsync<OtaException>(() => _service.ListAsync(Operator));
        var id = await SubscribeAsync();
        await Assert.ThrowsAsync<OtaException>(() => _service.PingAsync(Operator, id));
        await Assert.ThrowsAsync<OtaException>(() => _service.DeleteAsync(Operator, id));
        Assert.Empty(_receiver.Requests);
    }

    [Fact]
    public void A_signature_is_checked_over_timestamp_and_body_and_an_old_timestamp_is_refused()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var sig = WebhookRules.Sign("s3cret-s3cret-s3cret", now.ToUnixTimeSeconds(), body);
        var ts = now.ToUnixTimeSeconds().ToString();
        Assert.True(WebhookRules.Verify("s3cret-s3cret-s3cret", ts, sig, body, now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookRules.Verify("s3cret-s3cret-s3cret", ts, sig, "{\"a\":2}"u8, now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookRules.Verify("another-secret-here", ts, sig, body, now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookRules.Verify("s3cret-s3cret-s3cret", ts, sig, body, now.AddMinutes(6), TimeSpan.FromMinutes(5)));
    }
}
