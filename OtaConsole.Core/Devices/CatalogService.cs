using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Devices;

/// <summary>One line of a pasted device list, and what became of it.</summary>
public sealed record DeviceRegistration(string DeviceName, string? DeviceSecret = null, string? Nickname = null, string? GroupId = null);

public sealed record RegistrationResult(IReadOnlyList<Device> Registered, IReadOnlyList<FieldError> Rejected);

/// <summary>
/// Products, their OTA modules, device groups and devices. Keys and secrets may be given, so a fleet moved
/// from Alibaba keeps its ProductKey, DeviceName and DeviceSecret and its devices connect unchanged.
/// </summary>
public sealed class CatalogService(IDbContextFactory<OtaDbContext> dbs, TimeProvider time, OtaChangeFeed feed)
{
    public async Task<Product> CreateProductAsync(string name, string? productKey = null, string? description = null,
        ProductNodeType nodeType = ProductNodeType.Device, CancellationToken ct = default)
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || !NameRules.IsPlainText(name, 64))
            errors.Add(new("ProductName", "a product name is 1-64 characters of plain text.", string.IsNullOrEmpty(name)));
        if (productKey is not null && !NameRules.IsProductKey(productKey))
            errors.Add(new("ProductKey", "a ProductKey is 1-32 letters and digits."));
        if (!NameRules.IsPlainText(description, 100))
            errors.Add(new("Description", "a description is at most 100 characters."));
        OtaValidationException.ThrowIfAny(errors);

        await using var db = await dbs.CreateDbContextAsync(ct);
        productKey ??= OtaIds.NewProductKey();
        if (await db.Products.AnyAsync(p => p.ProductKey == productKey, ct))
            throw OtaException.Conflict("ProductKeyExists", $"Product {productKey} already exists.");
        var now = time.GetUtcNow();
        var product = new Product { ProductKey = productKey, Name = name.Trim(), Description = description, NodeType = nodeType, CreatedAt = now };
        product.Modules.Add(new OtaModule { ProductKey = productKey, ModuleName = OtaModule.Default, AliasName = "default", Description = "whole-device firmware", CreatedAt = now, ModifiedAt = now });
        db.Products.Add(product);
        await db.SaveChangesAsync(ct);
        Changed();
        return product;
    }

    public async Task<Product?> FindProductAsync(string productKey, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Products.AsNoTracking().Include(p => p.Modules).FirstOrDefaultAsync(p => p.ProductKey == productKey, ct);
    }

    public async Task<List<Product>> ListProductsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Products.AsNoTracking().Include(p => p.Modules).OrderBy(p => p.Name).ToListAsync(ct);
    }

    public async Task<OtaModule> CreateModuleAsync(string productKey, string moduleName, string? aliasName = null, string? description = null, CancellationToken ct = default)
    {
        ValidateModule(moduleName, aliasName, description);
        await using var db = await dbs.CreateDbContextAsync(ct);
        await RequireProductAsync(db, productKey, ct);
        if (await db.Modules.AnyAsync(m => m.ProductKey == productKey && m.ModuleName == moduleName, ct))
            throw OtaException.Conflict("ModuleExists", $"Module {moduleName} already exists in product {productKey}.");
        var now = time.GetUtcNow();
        var module = new OtaModule { ProductKey = productKey, ModuleName = moduleName, AliasName = aliasName, Description = description, CreatedAt = now, ModifiedAt = now };
        db.Modules.Add(module);
        await db.SaveChangesAsync(ct);
        Changed();
        return module;
    }

    /// <summary>A module's name is fixed; its alias and description may change.</summary>
    public async Task UpdateModuleAsync(string productKey, string moduleName, string? aliasName, string? description, CancellationToken ct = default)
    {
        ValidateModule(moduleName, aliasName, description);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var module = await db.Modules.FirstOrDefaultAsync(m => m.ProductKey == productKey && m.ModuleName == moduleName, ct)
                     ?? throw OtaException.NotFound("Module", $"{productKey}/{moduleName}");
        module.AliasName = aliasName;
        module.Description = description;
        module.ModifiedAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        Changed();
    }

    public async Task DeleteModuleAsync(string productKey, string moduleName, CancellationToken ct = default)
    {
        if (moduleName == OtaModule.Default)
            throw OtaException.Conflict("DefaultModule", "The default module cannot be deleted.");
        await using var db = await dbs.CreateDbContextAsync(ct);
        var module = await db.Modules.FirstOrDefaultAsync(m => m.ProductKey == productKey && m.ModuleName == moduleName, ct)
                     ?? throw OtaException.NotFound("Module", $"{productKey}/{moduleName}");
        if (await db.Packages.AnyAsync(p => p.ProductKey == productKey && p.ModuleName == moduleName, ct))
            throw OtaException.Conflict("ModuleInUse", $"Module {moduleName} has update packages; delete them first.");
        db.Modules.Remove(module);
        await db.SaveChangesAsync(ct);
        Changed();
    }

    public async Task<List<OtaModule>> ListModulesAsync(string productKey, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Modules.AsNoTracking().Where(m => m.ProductKey == productKey).OrderBy(m => m.ModuleName).ToListAsync(ct);
    }

    public async Task<DeviceGroup> CreateGroupAsync(string name, string? parentGroupId = null, string? groupId = null, CancellationToken ct = default)
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(name) || !NameRules.IsPlainText(name, 64))
            errors.Add(new("GroupName", "a group name is 1-64 characters of plain text.", string.IsNullOrEmpty(name)));
        if (groupId is not null && !NameRules.IsGroupId(groupId))
            errors.Add(new("GroupId", "a group id is 1-64 characters of A-Z, a-z, 0-9, '_' and '-'."));
        OtaValidationException.ThrowIfAny(errors);
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (parentGroupId is not null && !await db.Groups.AnyAsync(g => g.GroupId == parentGroupId, ct))
            throw OtaException.NotFound("Group", parentGroupId);
        var group = new DeviceGroup { GroupId = groupId ?? OtaIds.NewGroupId(), Name = name.Trim(), ParentGroupId = parentGroupId, CreatedAt = time.GetUtcNow() };
        if (await db.Groups.AnyAsync(g => g.GroupId == group.GroupId, ct))
            throw OtaException.Conflict("GroupExists", $"Group {group.GroupId} already exists.");
        db.Groups.Add(group);
        await db.SaveChangesAsync(ct);
        Changed();
        return group;
    }

    public async Task<DeviceGroup?> FindGroupAsync(string groupId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Groups.AsNoTracking().FirstOrDefaultAsync(g => g.GroupId == groupId, ct);
    }

    public async Task<List<DeviceGroup>> ListGroupsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Groups.AsNoTracking().OrderBy(g => g.Name).ToListAsync(ct);
    }

    public async Task<Device> RegisterDeviceAsync(string productKey, string deviceName, string? deviceSecret = null, string? nickname = null, string? groupId = null, CancellationToken ct = default)
    {
        var result = await RegisterDevicesAsync(productKey, [new DeviceRegistration(deviceName, deviceSecret, nickname, groupId)], ct);
        if (result.Rejected.Count > 0)
        {
            var e = result.Rejected[0];
            throw e.Field == "DeviceName" && e.Message.Contains("already", StringComparison.Ordinal)
                ? OtaException.Conflict("DeviceNameExists", e.Message)
                : new OtaValidationException(result.Rejected);
        }
        return result.Registered[0];
    }

    /// <summary>Registers many devices at once (a pasted list): good lines are registered, bad ones reported back with the reason.</summary>
    public async Task<RegistrationResult> RegisterDevicesAsync(string productKey, IReadOnlyList<DeviceRegistration> devices, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await RequireProductAsync(db, productKey, ct);
        var names = devices.Select(d => d.DeviceName).ToList();
        var existing = (await db.Devices.AsNoTracking().Where(d => d.ProductKey == productKey && names.Contains(d.DeviceName))
            .Select(d => d.DeviceName).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var groups = (await db.Groups.AsNoTracking().Select(g => g.GroupId).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

        var rejected = new List<FieldError>();
        var registered = new List<Device>();
        var now = time.GetUtcNow();
        foreach (var d in devices)
        {
            var name = d.DeviceName?.Trim() ?? "";
            string? problem =
                !NameRules.IsDeviceName(name) ? "a device name is 4-32 characters of A-Z, a-z, 0-9 and _ - @ . :"
                : existing.Contains(name) ? "already registered in this product"
                : d.DeviceSecret is not null && !NameRules.IsDeviceSecret(d.DeviceSecret) ? "a device secret is 1-64 printable characters without spaces"
                : d.GroupId is not null && !groups.Contains(d.GroupId) ? $"group {d.GroupId} does not exist"
                : !NameRules.IsPlainText(d.Nickname, 64) ? "a nickname is at most 64 characters of plain text"
                : null;
            if (problem is not null)
            {
                rejected.Add(new("DeviceName", $"'{Printable(name)}': {problem}"));
                continue;
            }
            existing.Add(name);
            var device = new Device
            {
                IotId = OtaIds.NewIotId(),
                ProductKey = productKey,
                DeviceName = name,
                DeviceSecret = d.DeviceSecret ?? OtaIds.NewDeviceSecret(),
                Nickname = d.Nickname,
                GroupId = d.GroupId,
                CreatedAt = now,
            };
            registered.Add(device);
        }
        db.Devices.AddRange(registered);
        await db.SaveChangesAsync(ct);
        if (registered.Count > 0)
            Changed();
        return new RegistrationResult(registered, rejected);
    }

    public async Task SetDeviceGroupAsync(string productKey, string deviceName, string? groupId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var device = await db.Devices.FirstOrDefaultAsync(d => d.ProductKey == productKey && d.DeviceName == deviceName, ct)
                     ?? throw OtaException.NotFound("Device", $"{productKey}/{deviceName}");
        if (groupId is not null && !await db.Groups.AnyAsync(g => g.GroupId == groupId, ct))
            throw OtaException.NotFound("Group", groupId);
        device.GroupId = groupId;
        await db.SaveChangesAsync(ct);
        Changed();
    }

    public async Task<Device?> FindDeviceAsync(string productKey, string deviceName, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Devices.AsNoTracking().Include(d => d.ModuleVersions)
            .FirstOrDefaultAsync(d => d.ProductKey == productKey && d.DeviceName == deviceName, ct);
    }

    /// <summary>All devices of a product with their versions, streamed (a product can have a million).</summary>
    public async IAsyncEnumerable<Device> DevicesOfAsync(string productKey, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await foreach (var d in db.Devices.AsNoTracking().Include(d => d.ModuleVersions).Where(d => d.ProductKey == productKey).OrderBy(d => d.Id).AsAsyncEnumerable().WithCancellation(ct))
            yield return d;
    }

    public async Task<Device?> FindDeviceByIotIdAsync(string iotId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Devices.AsNoTracking().Include(d => d.ModuleVersions).FirstOrDefaultAsync(d => d.IotId == iotId, ct);
    }

    private static void ValidateModule(string moduleName, string? aliasName, string? description)
    {
        var errors = new List<FieldError>();
        if (!NameRules.IsModuleName(moduleName))
            errors.Add(new("ModuleName", "a module name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.", string.IsNullOrEmpty(moduleName)));
        if (aliasName is not null && (aliasName.Length is < 1 or > 64 || !NameRules.IsPlainText(aliasName, 64)))
            errors.Add(new("AliasName", "an alias is 1-64 characters of plain text."));
        if (!NameRules.IsPlainText(description, 100))
            errors.Add(new("Desc", "a module description is at most 100 characters."));
        OtaValidationException.ThrowIfAny(errors);
    }

    private static async Task RequireProductAsync(OtaDbContext db, string productKey, CancellationToken ct)
    {
        if (!await db.Products.AnyAsync(p => p.ProductKey == productKey, ct))
            throw OtaException.NotFound("Product", productKey);
    }

    private static string Printable(string? s) => Validation.NameRules.Printable(s, 40);

    private void Changed() => feed.Publish(new OtaChange(new HashSet<string>(), new HashSet<string>(), DevicesChanged: true, CatalogChanged: true));
}
