namespace OtaConsole.Core.Model;

/// <summary>
/// One thing an operator or an API key did, or tried to do: append-only. Written in the same transaction as the
/// change it records; a refused command leaves its refusal (<see cref="Succeeded"/> false) and no change.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; private set; }
    public DateTimeOffset At { get; private init; }
    public Security.ActorKind ActorKind { get; private init; }
    /// <summary>The operator's account id or the access key's id.</summary>
    public string ActorId { get; private init; } = "";
    /// <summary>The operator's email or the key's id, as it was then.</summary>
    public string ActorName { get; private init; } = "";
    public string? Address { get; private init; }
    /// <summary>What was done, e.g. batch.create, task.cancel, operator.sign-in.</summary>
    public string Action { get; private init; } = "";
    /// <summary>The kind of thing it was done to: batch, package, product, device, task, operator, key.</summary>
    public string? TargetType { get; private init; }
    public string? TargetId { get; private init; }
    /// <summary>The values given or changed, as JSON.</summary>
    public string? Details { get; private init; }
    public bool Succeeded { get; private init; }
    /// <summary>Why it was refused: the message the operator saw.</summary>
    public string? Error { get; private init; }

    public const int MaxDetails = 4000;

    public static AuditEntry Of(Security.Actor actor, DateTimeOffset at, string action, string? targetType, string? targetId, string? details, string? error = null) => new()
    {
        At = at,
        ActorKind = actor.Kind,
        ActorId = actor.Id,
        ActorName = actor.Name,
        Address = actor.Address,
        Action = action,
        TargetType = targetType,
        TargetId = targetId,
        Details = details is null ? null : Validation.NameRules.Excerpt(details, MaxDetails),
        Succeeded = error is null,
        Error = error is null ? null : Validation.NameRules.Excerpt(error, MaxDetails),
    };
}
