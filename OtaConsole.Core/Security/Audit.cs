using System.Text.Json;
using System.Text.Json.Serialization;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Security;

/// <summary>A command as the audit log names it, and the words a refusal uses for it.</summary>
internal sealed record AuditedCommand(string Action, string What, string? TargetType, string? TargetId, object? Details, OperatorRole Role = OperatorRole.Operator);

/// <summary>Adds audit rows to a change's own context, so they commit (or roll back) with it.</summary>
internal static class Audit
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The console's own work (scheduler, device events, demo) is not an operator's action and is not audited.</summary>
    public static void Add(OtaDbContext db, Actor actor, DateTimeOffset at, string action, string? targetType, string? targetId, object? details, string? error = null)
    {
        if (actor.Kind == ActorKind.System)
            return;
        db.AuditEntries.Add(AuditEntry.Of(actor, at, action, targetType, targetId, details is null ? null : JsonSerializer.Serialize(details, Json), error));
    }

    /// <summary>The console acting on its own by a batch's safety policy (a rule tripped): recorded like an operator's action, with the numbers.</summary>
    public static readonly Actor SafetyPolicy = new(ActorKind.System, "safety-policy", "Safety policy", OperatorRole.Operator);

    public static void Decision(OtaDbContext db, DateTimeOffset at, string action, string targetType, string targetId, object details) =>
        db.AuditEntries.Add(AuditEntry.Of(SafetyPolicy, at, action, targetType, targetId, JsonSerializer.Serialize(details, Json)));
}
