namespace OtaConsole.Core.Model;

public sealed class Product
{
    public int Id { get; set; }
    public required string ProductKey { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public ProductNodeType NodeType { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<OtaModule> Modules { get; set; } = [];
}

/// <summary>An updatable unit of a product (firmware, a driver, an app). "default" is the whole device.</summary>
public sealed class OtaModule
{
    public const string Default = "default";

    public int Id { get; set; }
    public required string ProductKey { get; set; }
    public required string ModuleName { get; set; }
    public string? AliasName { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ModifiedAt { get; set; }
}

/// <summary>A static device group; a GROUP batch reaches the group's devices and those of its sub-groups.</summary>
public sealed class DeviceGroup
{
    public int Id { get; set; }
    public required string GroupId { get; set; }
    public required string Name { get; set; }
    public string? ParentGroupId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
