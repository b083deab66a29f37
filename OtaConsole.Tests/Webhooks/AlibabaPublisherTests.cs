using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Webhooks;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Webhooks;

/// <summary>
/// The publisher's cursor: a broker that goes away mid-round, a console restarted, a second node. The broker here
/// is a recorder that can refuse, since a real one cannot be made to fail at the tenth message; the end-to-end
/// path over the real embedded broker is in <see cref="AlibabaMessageTests"/>.
/// </summary>
public sealed class AlibabaPublisherTests : IDisposable
{
    private sealed class Broker : IMqttTransport
    {
        public List<(string Topic, JsonElement Body)> Published { get; } = [];
        /// <summary>Accepts this many more messages, then refuses (as a broker connection that dropped).</summary>
        public int Accept { get; set; } = int.MaxValue;

        public Task PublishAsync(string topic, byte[] payload, CancellationToken ct)
        {
            if (Accept-- <= 0)
                throw new InvalidOperationException("Not connected to the external MQTT broker.");
            Published.Add((topic, JsonDocument.Parse(Encoding.UTF8.GetString(payload)).RootElement.Clone()));
            return Task.CompletedTask;
        }
    }

    private readonly EngineHarness _h = new();
    private readonly Broker _broker = new();
    private readonly AlibabaMessageOptions _options = new() { TopicPrefix = "ota" };

    public void Dispose() => _h.Dispose();

    private AlibabaMessagePublisher Publisher(string node = "node-a") =>
        new(_h.Database, _broker, _h.Time, Options.Create(_options), Options.Create(new RolloutOptions { NodeId = node }), NullLogger<AlibabaMessagePublisher>.Instance);

    /// <summary>Ten devices updated (each NOTIFIED, IN_PROGRESS, SUCCEEDED) and the batch's created, started, completed.</summary>
    private async Task<int> RolloutAsync()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(10);
        var package = await _h.PackageAsync();
        await _h.BatchAsync(package.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        foreach (var d in devices)
            await _h.ProgressAsync(d, 50);
        foreach (var d in devices)
            await _h.VersionAsync(d, "2.0.0");
        return 10 * 3 + 3;
    }

    private List<string> Sequence() => _broker.Published.Select(m =>
        $"{m.Topic} {m.Body.GetProperty("status").GetString()} {(m.Body.TryGetProperty("event", out var e) ? e.GetString() : "")}").ToList();

    [Fact]
    public async Task A_broker_that_goes_away_mid_round_and_a_restart_lose_nothing_and_keep_the_order()
    {
        await Publisher().ApplyConfigurationAsync(default);
        var expected = await RolloutAsync();

        _broker.Accept = 10;
        Assert.Equal(10, await Publisher().RunOnceAsync());
        // A new publisher (the console restarted) goes on from the cursor in the database.
        _broker.Accept = int.MaxValue;
        var restarted = Publisher();
        _h.Time.Advance(TimeSpan.FromMinutes(1));
        var rest = await restarted.RunOnceAsync();
        Assert.True(expected - 10 == rest, string.Join("\n", Sequence()));
        Assert.Equal(0, await restarted.RunOnceAsync());

        Assert.True(expected == _broker.Published.Count, string.Join("\n", Sequence()));
        Assert.Equal(expected, Sequence().Distinct().Count());
        foreach (var device in _broker.Published.Where(m => m.Topic.EndsWith("/ota/upgrade", StringComparison.Ordinal)).GroupBy(m => m.Topic))
            Assert.Equal(["NOTIFIED", "IN_PROGRESS", "SUCCEEDED"], device.Select(m => m.Body.GetProperty("status").GetString()));
        var batch = _broker.Published.Where(m => m.Topic.EndsWith("/ota/job/status", StringComparison.Ordinal)).Select(m => m.Body.GetProperty("status").GetString()).ToList();
        Assert.Equal("COMPLETED", batch[^1]);
        // The batch completed after its last device succeeded.
        Assert.EndsWith("/ota/job/status", _broker.Published[^1].Topic);
    }

    [Fact]
    public async Task One_node_publishes_and_another_takes_over_when_its_lease_runs_out()
    {
        await Publisher().ApplyConfigurationAsync(default);
        var expected = await RolloutAsync();
        var a = Publisher("node-a");
        var b = Publisher("node-b");
        _broker.Accept = 5;
        Assert.Equal(5, await a.RunOnceAsync());
        _broker.Accept = int.MaxValue;
        Assert.Equal(0, await b.RunOnceAsync());

        _h.Time.Advance(new RolloutOptions().SchedulerLease + TimeSpan.FromSeconds(1));
        Assert.Equal(expected - 5, await b.RunOnceAsync());
        Assert.Equal(expected, Sequence().Distinct().Count());
        Assert.Equal(expected, _broker.Published.Count);
    }

    [Fact]
    public async Task Turned_on_it_starts_from_now_and_turned_off_the_outbox_stops_growing()
    {
        // Events from before the messages were on (a webhook's) are not sent as messages.
        await using (var db = _h.Database.CreateDbContext())
        {
            db.OutboxEvents.Add(new OutboxEvent { Type = OtaEventTypes.BatchCreated, Subject = "old", Data = "{}", Time = _h.Now });
            await db.SaveChangesAsync();
        }
        await Publisher().ApplyConfigurationAsync(default);
        var expected = await RolloutAsync();
        Assert.Equal(expected, await Publisher().RunOnceAsync());

        _options.TopicPrefix = null;
        await Publisher().ApplyConfigurationAsync(default);
        int before;
        await using (var db = _h.Database.CreateDbContext())
            before = await db.OutboxEvents.CountAsync();
        var package = await _h.PackageAsync("3.0.0");
        await _h.BatchAsync(package.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        await using (var db = _h.Database.CreateDbContext())
            Assert.Equal(before, await db.OutboxEvents.CountAsync());
    }
}
