namespace OtaConsole.Core.Security;

/// <summary>What an operator may do. Each role may do everything the ones below it may.</summary>
public enum OperatorRole
{
    /// <summary>Sees everything but secrets.</summary>
    Viewer = 1,
    /// <summary>Products, devices, packages and batches: create, verify, start, edit, cancel, reupgrade, confirm.</summary>
    Operator = 2,
    /// <summary>Operators and their roles, API keys, settings, the audit log's export.</summary>
    Admin = 3,
}

public enum ActorKind
{
    /// <summary>The console itself: the scheduler, device events, the demo, start-up work.</summary>
    System,
    /// <summary>A signed-in operator (local account or single sign-on).</summary>
    Operator,
    /// <summary>A script signing API requests with an access key.</summary>
    ApiKey,
}

/// <summary>
/// Who asks the core to do something: every command takes one, checks its role, and writes it to the audit log.
/// Built by the console from the signed-in operator (re-read from the database for each command) or by the API
/// from the access key that signed the request.
/// </summary>
public sealed record Actor(ActorKind Kind, string Id, string Name, OperatorRole Role, string? Address = null)
{
    public static readonly Actor System = new(ActorKind.System, "system", "OtaConsole", OperatorRole.Admin);

    /// <summary>Device secrets are for those who may register and run devices.</summary>
    public bool SeesSecrets => Role >= OperatorRole.Operator;

    /// <summary>Refuses, with the reason in the operator's words, what this actor's role may not do.</summary>
    public void Require(OperatorRole role, string what)
    {
        if (Role < role)
            throw OtaException.Forbidden($"{Name} is a{(Role == OperatorRole.Admin ? "n" : "")} {Role} and may not {what}: that needs the {role} role.");
    }

    public override string ToString() => Kind == ActorKind.System ? Name : $"{Name} ({Kind})";
}
