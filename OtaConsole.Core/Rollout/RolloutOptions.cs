namespace OtaConsole.Core.Rollout;

/// <summary>The "Ota:Rollout" section: when a task's notice goes out again by itself, and how long a verification may take.</summary>
public sealed class RolloutOptions
{
    public const string Section = "Ota:Rollout";

    /// <summary>After a reconnect, how long to wait for the device's version report before its notice is sent again.</summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A task's notice is sent again at most once per interval, however often its device reconnects.</summary>
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A Pushed or In upgrade task with no progress gets its notice again after this long ...</summary>
    public TimeSpan RenoticeAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>... at most this many times (then it waits for a reconnect, the device's request, or an operator).</summary>
    public int MaxRenotices { get; set; } = 3;

    /// <summary>A verify batch's tasks still unfinished this long after it started fail, and so does the verification.</summary>
    public TimeSpan VerifyTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Quarantine (OtaConsole's own; 0, the default, is off): a device whose updates failed this many times within
    /// <see cref="QuarantineWindow"/>, across batches, is held from new pushes for <see cref="QuarantineCooling"/>.
    /// </summary>
    public int QuarantineFailures { get; set; }
    public TimeSpan QuarantineWindow { get; set; } = TimeSpan.FromDays(1);
    public TimeSpan QuarantineCooling { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// This console node's name for the scheduler lease. A node restarted under the same name takes its lease back
    /// at once; several nodes need names of their own (the default, the machine's name, is one per machine).
    /// </summary>
    public string NodeId { get; set; } = Environment.MachineName;

    /// <summary>
    /// For an external broker that publishes no connect events (mosquitto, for one): a device that has sent nothing
    /// for this long counts as offline, until its next message. Zero (the default) is off, because a device that is
    /// connected but idle sends nothing the console sees (its keep-alive pings stay in the broker); set it above
    /// the interval your devices report at.
    /// </summary>
    public TimeSpan OfflineAfterSilence { get; set; }

    /// <summary>How long the scheduler lease lasts unrenewed: a dead holder's work moves to another node after this, plus a tick.</summary>
    public TimeSpan SchedulerLease { get; set; } = TimeSpan.FromSeconds(10);

    public NoticeTiming Timing => new(ReconnectGrace, ResendInterval, RenoticeAfter, MaxRenotices);

    /// <summary>Why the section is unusable, or null.</summary>
    public string? Problem() =>
        ReconnectGrace < TimeSpan.Zero || ReconnectGrace > TimeSpan.FromMinutes(10) ? $"{Section}:ReconnectGrace must be from 0 to 10 minutes; got {ReconnectGrace}."
        : ResendInterval < TimeSpan.FromSeconds(1) || ResendInterval > TimeSpan.FromHours(1) ? $"{Section}:ResendInterval must be from 1 second to 1 hour; got {ResendInterval}."
        : RenoticeAfter < TimeSpan.FromSeconds(10) || RenoticeAfter > TimeSpan.FromDays(1) ? $"{Section}:RenoticeAfter must be from 10 seconds to 1 day; got {RenoticeAfter}."
        : MaxRenotices is < 0 or > 100 ? $"{Section}:MaxRenotices must be from 0 to 100; got {MaxRenotices}."
        : VerifyTimeout < TimeSpan.FromMinutes(1) || VerifyTimeout > TimeSpan.FromDays(7) ? $"{Section}:VerifyTimeout must be from 1 minute to 7 days; got {VerifyTimeout}."
        : QuarantineFailures is < 0 or > 100 ? $"{Section}:QuarantineFailures must be from 0 (off) to 100; got {QuarantineFailures}."
        : QuarantineWindow < TimeSpan.FromMinutes(1) || QuarantineWindow > TimeSpan.FromDays(90) ? $"{Section}:QuarantineWindow must be from 1 minute to 90 days; got {QuarantineWindow}."
        : QuarantineCooling < TimeSpan.FromMinutes(1) || QuarantineCooling > TimeSpan.FromDays(90) ? $"{Section}:QuarantineCooling must be from 1 minute to 90 days; got {QuarantineCooling}."
        : string.IsNullOrWhiteSpace(NodeId) || NodeId.Length > 256 ? $"{Section}:NodeId must be 1 to 256 characters."
        : OfflineAfterSilence != TimeSpan.Zero && (OfflineAfterSilence < TimeSpan.FromMinutes(1) || OfflineAfterSilence > TimeSpan.FromDays(7))
            ? $"{Section}:OfflineAfterSilence must be 0 (off) or from 1 minute to 7 days; got {OfflineAfterSilence}."
        : SchedulerLease < TimeSpan.FromSeconds(2) || SchedulerLease > TimeSpan.FromMinutes(5) ? $"{Section}:SchedulerLease must be from 2 seconds to 5 minutes; got {SchedulerLease}."
        : null;
}

/// <summary>The notice timing the state machine applies (from <see cref="RolloutOptions"/>).</summary>
public sealed record NoticeTiming(TimeSpan ReconnectGrace, TimeSpan ResendInterval, TimeSpan RenoticeAfter, int MaxRenotices)
{
    public static NoticeTiming Default { get; } = new RolloutOptions().Timing;
}
