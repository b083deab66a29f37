using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// The rollout engine: everything that changes batches and tasks, for the console, the API, the device bridge
/// and the scheduler alike. Each call is one step of the single <see cref="EngineWriter"/>.
/// </summary>
public sealed class RolloutEngine(EngineWriter writer, IDbContextFactory<OtaDbContext> dbs, DeviceDirectory directory)
{
    private readonly DeviceEventApplier _events = new(directory);

    public TimeProvider Time => writer.Time;

    /// <summary>What a batch would do, without creating it: devices reached, offline, busy, skipped and why, push time.</summary>
    public async Task<BatchPreview> PreviewBatchAsync(CreateBatchRequest request, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await BatchCreator.PreviewAsync(db, request, Time.GetUtcNow(), ct);
    }

    public Task<BatchCreated> CreateBatchAsync(CreateBatchRequest request, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => BatchCreator.CreateAsync(s, request, c), ct);

    public Task<int> CancelBatchAsync(string batchId, bool alsoRunningTasks = false, int? expectedEditVersion = null, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.CancelBatchAsync(s, batchId, alsoRunningTasks, expectedEditVersion, c), ct);

    public Task<int> CancelTasksByJobAsync(string batchId, CancelTasksByJob flags, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.CancelTasksByJobAsync(s, batchId, flags, c), ct);

    public Task CancelTaskAsync(long taskId, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.CancelTaskAsync(s, taskId, c), ct);

    public Task<int> CancelTasksByDeviceAsync(string productKey, string packageId, IReadOnlyList<string> deviceNames, string? batchId = null, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.CancelTasksByDeviceAsync(s, productKey, packageId, deviceNames, batchId, c), ct);

    public Task ConfirmTasksAsync(IReadOnlyList<long> taskIds, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.ConfirmTasksAsync(s, taskIds, c), ct);

    public Task ReupgradeTasksAsync(string batchId, IReadOnlyList<long> taskIds, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.ReupgradeTasksAsync(s, batchId, taskIds, c), ct);

    public Task UpdatePushRateAsync(string batchId, PushRate rate, int? expectedEditVersion = null, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.UpdatePushRateAsync(s, batchId, rate, expectedEditVersion, c), ct);

    public Task UpdateTagsAsync(string batchId, IReadOnlyList<BatchTag> tags, int? expectedEditVersion = null, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.UpdateTagsAsync(s, batchId, tags, expectedEditVersion, c), ct);

    public Task UpdateDynamicPolicyAsync(string batchId, int? timeoutMinutes, IReadOnlyList<string>? srcVersions, int? expectedEditVersion = null, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.UpdateDynamicPolicyAsync(s, batchId, timeoutMinutes, srcVersions, expectedEditVersion, c), ct);

    /// <summary>Several changes to a running batch in one step: all of them are made or, when any is refused, none.</summary>
    public Task EditBatchAsync(string batchId, BatchEdit edit, int? expectedEditVersion = null, CancellationToken ct = default) =>
        writer.RunAsync((s, c) => OperatorCommands.EditBatchAsync(s, batchId, edit, expectedEditVersion, c), ct);

    /// <summary>Applies device events, in order, in one step. Returns how many named an unknown device (dropped).</summary>
    public Task<int> ApplyDeviceEventsAsync(IReadOnlyList<DeviceEvent> events, CancellationToken ct = default) =>
        events.Count == 0 ? Task.FromResult(0) : writer.RunAsync((s, c) => _events.ApplyAsync(s, events, c), ct);

    /// <summary>At start: every device offline until it connects again. Returns how many were marked online.</summary>
    public Task<int> ForgetPresenceAsync(CancellationToken ct = default) => writer.RunAsync(PresenceReset.RunAsync, ct);

    /// <summary>One scheduler tick: scheduled starts and ends, timeouts, retries, paced pushes.</summary>
    public Task TickAsync(CancellationToken ct = default) => writer.RunAsync(PushScheduler.TickAsync, ct);
}
