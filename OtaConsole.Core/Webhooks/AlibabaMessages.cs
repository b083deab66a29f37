using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Api;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Webhooks;

/// <summary>
/// Ota:AlibabaMessages: Alibaba's "OTA update status" and "OTA batch status" messages (its server-side subscription
/// and data forwarding), published on the console's broker under a topic prefix, for tools that already read them.
/// </summary>
public sealed partial class AlibabaMessageOptions
{
    public const string Section = "Ota:AlibabaMessages";

    /// <summary>
    /// Topics are {TopicPrefix}/{productKey}/{deviceName}/ota/upgrade and
    /// {TopicPrefix}/{productKey}/{packageId}/{jobId}/ota/job/status (Alibaba's forwarding topics, which start with
    /// "/", under the prefix). Empty: no messages, and the outbox is not written for them.
    /// </summary>
    public string? TopicPrefix { get; set; }

    /// <summary>
    /// Embedded broker: the sign-in of the consumers of these messages (an MQTT client with this user name and
    /// password may subscribe under the prefix and nothing else, and may not publish). Empty: only an external
    /// broker's own users can read them.
    /// </summary>
    public string? Username { get; set; }
    public string? Password { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(TopicPrefix);

    // Segments of letters, digits, '-', '_' and '.': no wildcard, no leading "/" (every Alibaba device topic starts
    // with one, so the prefix can never put these messages among a device's own topics), no "$" (broker topics).
    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")]
    private static partial Regex PrefixPattern();

    public string? Problem() =>
        Enabled && (TopicPrefix!.Length > 64 || !PrefixPattern().IsMatch(TopicPrefix))
            ? $"{Section}:TopicPrefix must be 1-64 characters of letters, digits, '-', '_', '.' in '/'-separated segments, without a leading '/'; got \"{TopicPrefix}\"."
        : string.IsNullOrEmpty(Username) != string.IsNullOrEmpty(Password) ? $"{Section}: Username and Password are set together or not at all."
        : !string.IsNullOrEmpty(Username) && !Enabled ? $"{Section}:Username is set but TopicPrefix is not: there would be nothing to read."
        : !string.IsNullOrEmpty(Password) && Password.Length < 16 ? $"{Section}:Password must be at least 16 characters."
        : null;

    /// <summary>Whether a sign-in is the consumers' one (in constant time, as a password check should be).</summary>
    public bool IsConsumer(string? username, string? password) =>
        !string.IsNullOrEmpty(Username) && username == Username && password is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Password!), Encoding.UTF8.GetBytes(password));

    /// <summary>Whether a consumer may subscribe to a filter: only under the prefix.</summary>
    public bool MayConsume(string filter) =>
        Enabled && (filter == TopicPrefix + "/#" || filter.StartsWith(TopicPrefix + "/", StringComparison.Ordinal) && filter.Length > TopicPrefix!.Length + 1);
}

/// <summary>
/// The messages, made from outbox events. UNCONFIRMED: the field names and values follow Alibaba's documented
/// examples of these forwarded messages as far as they could be read here (iotId, productKey, deviceName,
/// moduleName, status, desc, srcVersion, destVersion, jobId, taskId, messageCreateTime in epoch milliseconds);
/// Alibaba's own messages may carry fields we do not, and ours carry a few Alibaba's may not (packageId, reason).
/// </summary>
public static class AlibabaMessages
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static string TaskTopic(string prefix, string productKey, string deviceName) => $"{prefix}/{productKey}/{deviceName}/ota/upgrade";
    public static string BatchTopic(string prefix, string productKey, string packageId, string jobId) => $"{prefix}/{productKey}/{packageId}/{jobId}/ota/job/status";

    /// <summary>The message for an event, or null for one Alibaba sends none for (a package's events, a ping).</summary>
    internal static (string Topic, byte[] Payload)? For(string prefix, OutboxEvent e, Func<string, string, string?> iotId)
    {
        var at = e.Time.ToUnixTimeMilliseconds();
        if (e.IsDeviceEvent)
        {
            var t = JsonSerializer.Deserialize<OtaEvents.TaskData>(e.Data, OtaEvents.Json) ?? throw new JsonException("The event has no task data.");
            var status = ApiNames.Task(Enum.Parse<OtaTaskStatus>(t.Status));
            return (TaskTopic(prefix, t.ProductKey, t.DeviceName), JsonSerializer.SerializeToUtf8Bytes(new
            {
                iotId = iotId(t.ProductKey, t.DeviceName), productKey = t.ProductKey, deviceName = t.DeviceName, moduleName = t.ModuleName,
                status, desc = t.FailureReason ?? t.FailureCode ?? "", srcVersion = t.SrcVersion ?? "", destVersion = t.DestVersion,
                jobId = t.BatchId, taskId = t.TaskId.ToString(CultureInfo.InvariantCulture), packageId = t.PackageId, messageCreateTime = at,
            }, Json));
        }
        if (!e.Type.StartsWith(OtaEventTypes.Prefix + "batch.", StringComparison.Ordinal))
            return null;
        var b = JsonDocument.Parse(e.Data).RootElement;
        string? Text(string name) => b.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string Required(string name) => Text(name) ?? throw new JsonException($"The event has no {name}.");
        var batchStatus = Enum.Parse<BatchStatus>(Required("status"));
        var (jobId, productKey, packageId) = (Required("batchId"), Required("productKey"), Required("packageId"));
        return (BatchTopic(prefix, productKey, packageId, jobId), JsonSerializer.SerializeToUtf8Bytes(new
        {
            jobId, productKey, packageId, moduleName = Text("moduleName"), status = ApiNames.Job(batchStatus),
            // Ours: what happened (created, started, wave_started, paused, ...) and why, which the status alone does not say.
            @event = e.Type[(OtaEventTypes.Prefix + "batch.").Length..], reason = Text("reason"), messageCreateTime = at,
        }, Json));
    }
}

/// <summary>
/// Publishes the outbox as Alibaba's messages, in order, at least once: the cursor (on the "alibaba-messages"
/// lease row, so one node publishes and a node taking over goes on from there) moves only past what was published.
/// </summary>
public sealed class AlibabaMessagePublisher(
    IDbContextFactory<OtaDbContext> dbs,
    IMqttTransport transport,
    TimeProvider time,
    IOptions<AlibabaMessageOptions> options,
    IOptions<RolloutOptions> rollout,
    ILogger<AlibabaMessagePublisher> log,
    EngineWriter? writer = null)
{
    private const int MaxPerRun = 1000;
    private readonly HeldLease _lease = new(dbs, time, SchedulerLease.AlibabaMessagesName, () => rollout.Value);

    /// <summary>Messages published, since start (for tests and the log).</summary>
    public long Published { get; private set; }

    /// <summary>Turns the reader on from the newest event (what came before is not sent), or off; at every start.</summary>
    public async Task ApplyConfigurationAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var lease = db.SchedulerLeases.Where(l => l.Name == SchedulerLease.AlibabaMessagesName);
        if (!options.Value.Enabled)
        {
            await lease.ExecuteUpdateAsync(s => s.SetProperty(l => l.Cursor, (long?)null), ct);
            return;
        }
        var newest = await db.OutboxEvents.MaxAsync(e => (long?)e.Id, ct) ?? 0;
        await lease.Where(l => l.Cursor == null).ExecuteUpdateAsync(s => s.SetProperty(l => l.Cursor, newest), ct);
    }

    /// <summary>One round: up to 1,000 events published. Returns the messages published.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        var prefix = options.Value.TopicPrefix;
        if (string.IsNullOrEmpty(prefix) || !await _lease.HoldAsync(ct))
            return 0;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var cursor = await db.SchedulerLeases.AsNoTracking().Where(l => l.Name == SchedulerLease.AlibabaMessagesName).Select(l => l.Cursor).SingleAsync(ct);
        if (cursor is not { } after)
        {
            // Another node started without the prefix and turned the messages off: on again from now, and said.
            log.LogWarning("Alibaba OTA messages were turned off by a node without {Section}:TopicPrefix; turning them on again from now. Set it alike on every node.", AlibabaMessageOptions.Section);
            await ApplyConfigurationAsync(ct);
            return 0;
        }
        var events = await db.OutboxEvents.AsNoTracking().Where(e => e.Id > after).OrderBy(e => e.Id).Take(MaxPerRun).ToListAsync(ct);
        if (events.Count == 0)
            return 0;
        var iotIds = await IotIdsAsync(db, events, ct);
        var done = after;
        var published = 0;
        try
        {
            foreach (var e in events)
            {
                // Stop while the lease still has half its time: another node never publishes from the same cursor.
                if (time.GetUtcNow() >= _lease.Until - rollout.Value.SchedulerLease / 2)
                    break;
                var message = Message(prefix, e, iotIds);
                if (message is { } m)
                {
                    await transport.PublishAsync(m.Topic, m.Payload, ct);
                    published++;
                }
                done = e.Id;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The broker is away (an external one reconnecting): what was not published is tried on a later round.
            log.LogWarning("Publishing Alibaba OTA messages stopped at outbox event {Id}: {Message}", done, e.Message);
        }
        if (done > after)
        {
            // Between the engine's steps, as the webhook dispatcher's writes (see EngineWriter.BetweenStepsAsync).
            Task<int> Move(CancellationToken c) => db.SchedulerLeases.Where(l => l.Name == SchedulerLease.AlibabaMessagesName && l.Holder == rollout.Value.NodeId)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Cursor, done), c);
            await (writer is null ? Move(ct) : writer.BetweenStepsAsync(Move, ct));
        }
        Published += published;
        return published;
    }

    private (string Topic, byte[] Payload)? Message(string prefix, OutboxEvent e, Dictionary<(string, string), string> iotIds)
    {
        try
        {
            return AlibabaMessages.For(prefix, e, (pk, dn) => iotIds.GetValueOrDefault((pk, dn)));
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            // An event this version cannot read (written by a newer one): skipped, not retried forever.
            log.LogWarning("Outbox event {Id} ({Type}) has no Alibaba message: {Message}", e.Id, e.Type, ex.Message);
            return null;
        }
    }

    /// <summary>The iotIds of the devices the device events name, in one query per product.</summary>
    private static async Task<Dictionary<(string, string), string>> IotIdsAsync(OtaDbContext db, List<OutboxEvent> events, CancellationToken ct)
    {
        var found = new Dictionary<(string, string), string>();
        var subjects = events.Where(e => e.IsDeviceEvent).Select(TryTaskData).OfType<OtaEvents.TaskData>().Select(t => (t.ProductKey, t.DeviceName)).Distinct();
        foreach (var product in subjects.GroupBy(s => s.ProductKey))
        {
            var names = product.Select(s => s.DeviceName).ToList();
            var rows = await db.Devices.AsNoTracking().Where(d => d.ProductKey == product.Key && names.Contains(d.DeviceName))
                .Select(d => new { d.DeviceName, d.IotId }).ToListAsync(ct);
            foreach (var r in rows)
                found[(product.Key, r.DeviceName)] = r.IotId;
        }
        return found;
    }

    /// <summary>An event this version cannot read has no device to look up (<see cref="Message"/> skips it).</summary>
    private static OtaEvents.TaskData? TryTaskData(OutboxEvent e)
    {
        try
        {
            return JsonSerializer.Deserialize<OtaEvents.TaskData>(e.Data, OtaEvents.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>On a clean stop another node takes over at once.</summary>
    public Task ReleaseLeaseAsync(CancellationToken ct) => _lease.ReleaseAsync(ct);
}

/// <summary>Applies the configuration at start, then publishes four times a second.</summary>
public sealed class AlibabaMessageService(AlibabaMessagePublisher publisher, IOptions<AlibabaMessageOptions> options, TimeProvider time, ILogger<AlibabaMessageService> log)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await publisher.ApplyConfigurationAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await publisher.RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Alibaba OTA message round failed; trying again");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await publisher.ReleaseLeaseAsync(cancellationToken);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not release the Alibaba messages lease on stop");
        }
    }
}
