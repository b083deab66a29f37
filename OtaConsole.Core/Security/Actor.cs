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
/// Who asks the core to do something: every command and every query takes one, checks its role and its products,
/// and commands write it to the audit log. Built by the console from the signed-in operator (re-read from the
/// database for each command) or by the API from the access key that signed the request.
/// </summary>
/// <param name="Products">The products this actor may see and touch; null: every product. Outside them a product,
/// its devices, packages and batches do not exist for this actor (not found, left out of lists and counts).</param>
public sealed record Actor(ActorKind Kind, string Id, string Name, OperatorRole Role, string? Address = null, IReadOnlyList<string>? Products = null)
{
    public static readonly Actor System = new(ActorKind.System, "system", "OtaConsole", OperatorRole.Admin);

    /// <summary>An account that is gone or disabled, while its page is sent to sign in: it sees no product.</summary>
    public static readonly Actor NoOne = new(ActorKind.Operator, "", "(signed out)", OperatorRole.Viewer, Products: []);

    /// <summary>Device secrets are for those who may register and run devices.</summary>
    public bool SeesSecrets => Role >= OperatorRole.Operator;

    /// <summary>Whether this actor sees every product (no scope).</summary>
    public bool SeesAllProducts => Products is null;

    public bool Sees(string productKey) => Products is null || Products.Contains(productKey, StringComparer.Ordinal);

    /// <summary>Refuses, with the reason in the operator's words, what this actor's role may not do.</summary>
    public void Require(OperatorRole role, string what)
    {
        if (Role < role)
            throw OtaException.Forbidden($"{Name} is a{(Role == OperatorRole.Admin ? "n" : "")} {Role} and may not {what}: that needs the {role} role.");
    }

    /// <summary>A product outside the actor's scope is answered as one that does not exist, so its name is not confirmed either.</summary>
    public void RequireProduct(string productKey)
    {
        if (!Sees(productKey))
            throw OtaException.NotFound("Product", productKey);
    }

    /// <summary>Refuses to an actor scoped to some products what concerns the whole console.</summary>
    public void RequireAllProducts(string what)
    {
        if (Products is not null)
            throw OtaException.Forbidden($"{Name} works on some products only and may not {what}: that needs access to every product.");
    }

    public override string ToString() => Kind == ActorKind.System ? Name : $"{Name} ({Kind})";
}
