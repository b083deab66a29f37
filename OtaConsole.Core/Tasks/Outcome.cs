namespace OtaConsole.Core.Tasks;

/// <summary>
/// What a state-machine call did. A call that does not apply in the task's current status is never an
/// exception: it is <see cref="Ignored"/> with the reason, and nothing changes (a late or repeated report,
/// a cancel of a finished task).
/// </summary>
public readonly record struct Outcome(bool Applied, string? Reason)
{
    public static Outcome Done { get; } = new(true, null);
    public static Outcome Ignored(string reason) => new(false, reason);
}
