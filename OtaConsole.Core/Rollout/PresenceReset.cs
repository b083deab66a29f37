using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// With the embedded broker, at start no device is connected to this console: presence left from before a crash
/// would make counts lie and push tasks into the void. Every device is marked offline and its waiting tasks wait
/// for it again, until it connects. Runs after the schema is migrated and before the broker accepts devices
/// (hosted services start in order).
/// An external broker kept its devices while this console was away (and other nodes may be serving them), and an
/// idle connected device sends nothing that would mark it online again: there presence is left as it is.
/// </summary>
public sealed class PresenceReset(RolloutEngine engine, IOptions<MqttOptions> mqtt) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        mqtt.Value.Mode == MqttMode.External ? Task.CompletedTask : engine.ForgetPresenceAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The writer step: online devices go offline; their queued tasks now wait for them.</summary>
    internal static async Task<int> RunAsync(WriteScope scope, CancellationToken ct)
    {
        var online = await scope.Db.Devices.Where(d => d.IsOnline).Select(d => d.Id).ToListAsync(ct);
        if (online.Count == 0)
            return 0;
        foreach (var id in online)
            scope.SetPresence(id, false);
        var batchIds = await scope.Db.Tasks.Where(t => t.Status == OtaTaskStatus.Queued && t.QueueReason != QueueReason.Offline)
            .Select(t => t.BatchId).Distinct().ToListAsync(ct);
        foreach (var batchId in batchIds)
        {
            var batch = await scope.BatchAsync(batchId, ct);
            var tasks = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.BatchId == batchId && t.Status == OtaTaskStatus.Queued && t.QueueReason != QueueReason.Offline), ct);
            foreach (var t in tasks)
                Tasks.TaskStateMachine.Requeue(t, new Tasks.QueueContext(batch.Status == BatchStatus.Planned, DeviceOnline: false, batch.NeedPush), scope.Changes);
        }
        return online.Count;
    }
}
