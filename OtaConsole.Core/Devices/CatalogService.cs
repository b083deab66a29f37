using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Devices;

/// <summary>One line of a pasted device list, and what became of it.</summary>
public sealed record DeviceRegistration(string DeviceName, string? DeviceSecret = null, string? Nickname = null, string? GroupId = null);

public sealed record RegistrationResult(IReadOnlyList<Device> Registered, IReadOnlyList<FieldError> Rejected);

/// <summary>
/// Products, their OTA modules, device groups and devices. Keys and secrets may be given, so a fleet moved
/// from Alibaba keeps its ProductKey, DeviceName and DeviceSecret and its devices connect unchanged.
/// </summary>
public sealed class CatalogService(IDbContextFactory<OtaDbContext> dbs, TimeProvider time, OtaChangeFeed feed, AuditedWrites audited, SecretProtector secrets)
{
    public async Task<Product> CreateProductAsync(Actor actor, string name, string? productKey = null, string? description = null,
        ProductNodeType nodeType = ProductNodeType.Device, CancellationToken ct = default)
    {
        var product = await audited.RunAsync(actor, new("product.create", "create a product", "product", productKey, new { name, productKey, description, nodeType }), async db =>
        {
            actor.RequireAllProducts("create products");
            var errors = new List<FieldError>();
            if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || !NameRules.IsPlainText(name, 64))
                errors.Add(new("ProductName", "a product name is 1-64 characters of plain text.", string.IsNullOrEmpty(name)));
            if (productKey is not null && !NameRules.IsProductKey(productKey))
                errors.Add(new("ProductKey", "a ProductKey is 1-32 letters and digits."));
            if (!NameRules.IsPlainText(description, 100))
                errors.Add(new("Description", "a description is at most 100 characters."));
            OtaValidationException.ThrowIfAny(errors);

            var key = productKey ?? OtaIds.NewProductKey();
            if (await db.Products.AnyAsync(p => p.ProductKey == key, ct))
                throw OtaException.Conflict("ProductKeyExists", $"Product {key} already exists.");
            var now = time.GetUtcNow();
            var product = new Product { ProductKey = key, Name = name.Trim(), Description = description, NodeType = nodeType, CreatedAt = now };
            product.Modules.Add(new OtaModule { ProductKey = key, ModuleName = OtaModule.Default, AliasName = "default", Description = "whole-device firmware", CreatedAt = now, ModifiedAt = now });
            db.Products.Add(product);
            return product;
        }, p => ("product", p.ProductKey), ct);
        Changed();
        return product;
    }

    public async Task<Product?> FindProductAsync(Actor actor, string productKey, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Products.AsNoTracking().VisibleTo(actor).Include(p => p.Modules).FirstOrDefaultAsync(p => p.ProductKey == productKey, ct);
    }

    public async Task<List<Product>> ListProductsAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Products.AsNoTracking().VisibleTo(actor).Include(p => p.Modules).OrderBy(p => p.Name).ToListAsync(ct);
    }

    public async Task<OtaModule> CreateModuleAsync(Actor actor, string productKey, string moduleName, string? aliasName = null, string? description = null, CancellationToken ct = default)
    {
        var module = await audited.RunAsync(actor, new("module.create", "create a module", "product", productKey, new { moduleName, aliasName, description }), async db =>
        {
            ValidateModule(moduleName, aliasName, description);
            await RequireProductAsync(db, actor, productKey, ct);
            if (await db.Modules.AnyAsync(m => m.ProductKey == productKey && m.ModuleName == moduleName, ct))
                throw OtaException.Conflict("ModuleExists", $"Module {moduleName} already exists in product {productKey}.");
            var now = time.GetUtcNow();
            var module = new OtaModule { ProductKey = productKey, ModuleName = moduleName, AliasName = aliasName, Description = description, CreatedAt = now, ModifiedAt = now };
            db.Modules.Add(module);
            return module;
        }, null, ct);
        Changed();
        return module;
    }

    /// <summary>A module's name is fixed; its alias and description may change.</summary>
    public async Task UpdateModuleAsync(Actor actor, string productKey, string moduleName, string? aliasName, string? description, CancellationToken ct = default)
    {
        await audited.RunAsync(actor, new("module.update", "change a module", "product", productKey, new { moduleName, aliasName, description }), async db =>
        {
            ValidateModule(moduleName, aliasName, description);
            actor.RequireProduct(productKey);
            var module = await db.Modules.FirstOrDefaultAsync(m => m.ProductKey == productKey && m.ModuleName == moduleName, ct)
                         ?? throw OtaException.NotFound("Module", $"{productKey}/{moduleName}");
            module.AliasName = aliasName;
            module.Description = description;
            module.ModifiedAt = time.GetUtcNow();
            return true;
        }, null, ct);
        Changed();
    }

    public async Task DeleteModuleAsync(Actor actor, string productKey, string moduleName, CancellationToken ct = default)
    {
        await audited.RunAsync(actor, new("module.delete", "delete a module", "product", productKey, new { moduleName }), async db =>
        {
            actor.RequireProduct(productKey);
            if (moduleName == OtaModule.Default)
                throw OtaException.Conflict("DefaultModule", "The default module cannot be deleted.");
            var module = await db.Modules.FirstOrDefaultAsync(m => m.ProductKey == productKey && m.ModuleName == moduleName, ct)
                         ?? throw OtaException.NotFound("Module", $"{productKey}/{moduleName}");
            if (await db.Packages.AnyAsync(p => p.ProductKey == productKey && p.ModuleName == moduleName, ct))
                throw OtaException.Conflict("ModuleInUse", $"Module {moduleName} has update packages; delete them first.");
            db.Modules.Remove(module);
            return true;
        }, null, ct);
        Changed();
    }

    public async Task<List<OtaModule>> ListModulesAsync(Actor actor, string productKey, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Modules.AsNoTracking().VisibleTo(actor).Where(m => m.ProductKey == productKey).OrderBy(m => m.ModuleName).ToListAsync(ct);
    }

    public async Task<DeviceGroup> CreateGroupAsync(Actor actor, string name, string? parentGroupId = null, string? groupId = null, CancellationToken ct = default)
    {
        var group = await audited.RunAsync(actor, new("group.create", "create a device group", "group", groupId, new { name, parentGroupId, groupId }), async db =>
        {
            // Groups hold devices of any product: they belong to the whole console.
            actor.RequireAllProducts("create device groups");
            var errors = new List<FieldError>();
            if (string.IsNullOrWhiteSpace(name) || !NameRules.IsPlainText(name, 64))
                errors.Add(new("GroupName", "a group name is 1-64 characters of plain text.", string.IsNullOrEmpty(name)));
            if (groupId is not null && !NameRules.IsGroupId(groupId))
                errors.Add(new("GroupId", "a group id is 1-64 characters of A-Z, a-z, 0-9, '_' and '-'."));
            OtaValidationException.ThrowIfAny(errors);
            if (parentGroupId is not null && !await db.Groups.AnyAsync(g => g.GroupId == parentGroupId, ct))
                throw OtaException.NotFound("Group", parentGroupId);
            var group = new DeviceGroup { GroupId = groupId ?? OtaIds.NewGroupId(), Name = name.Trim(), ParentGroupId = parentGroupId, CreatedAt = time.GetUtcNow() };
            if (await db.Groups.AnyAsync(g => g.GroupId == group.GroupId, ct))
                throw OtaException.Conflict("GroupExists", $"Group {group.GroupId} already exists.");
            db.Groups.Add(group);
            return group;
        }, g => ("group", g.GroupId), ct);
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

    public async Task<Device> RegisterDeviceAsync(Actor actor, string productKey, string deviceName, string? deviceSecret = null, string? nickname = null, string? groupId = null, CancellationToken ct = default)
    {
        var result = await RegisterDevicesAsync(actor, productKey, [new DeviceRegistration(deviceName, deviceSecret, nickname, groupId)], ct);
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
    /// <remarks>The audit row names the devices, never their secrets.</remarks>
    public async Task<RegistrationResult> RegisterDevicesAsync(Actor actor, string productKey, IReadOnlyList<DeviceRegistration> devices, CancellationToken ct = default)
    {
        var names = devices.Select(d => d.DeviceName).ToList();
        var result = await audited.RunAsync(actor, new("device.register", "register devices", "product", productKey, new { devices = names }), db => RegisterAsync(db, actor, productKey, devices, ct), null, ct);
        // Saved encrypted; the one who registered them is told the secrets themselves.
        foreach (var d in result.Registered)
            d.DeviceSecret = secrets.Reveal(d.DeviceSecret);
        if (result.Registered.Count > 0)
            Changed();
        return result;
    }

    private async Task<RegistrationResult> RegisterAsync(OtaDbContext db, Actor actor, string productKey, IReadOnlyList<DeviceRegistration> devices, CancellationToken ct)
    {
        await RequireProductAsync(db, actor, productKey, ct);
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
                DeviceSecret = secrets.Protect(d.DeviceSecret ?? OtaIds.NewDeviceSecret()),
                Nickname = d.Nickname,
                GroupId = d.GroupId,
                CreatedAt = now,
            };
            registered.Add(device);
        }
        db.Devices.AddRange(registered);
        return new RegistrationResult(registered, rejected);
    }

    public async Task SetDeviceGroupAsync(Actor actor, string productKey, string deviceName, string? groupId, CancellationToken ct = default)
    {
        await audited.RunAsync(actor, new("device.set-group", "move a device to a group", "device", $"{productKey}/{deviceName}", new { groupId }), async db =>
        {
            actor.RequireProduct(productKey);
            var device = await db.Devices.FirstOrDefaultAsync(d => d.ProductKey == productKey && d.DeviceName == deviceName, ct)
                         ?? throw OtaException.NotFound("Device", $"{productKey}/{deviceName}");
            if (groupId is not null && !await db.Groups.AnyAsync(g => g.GroupId == groupId, ct))
                throw OtaException.NotFound("Group", groupId);
            device.GroupId = groupId;
            return true;
        }, null, ct);
        Changed();
    }

    public async Task<Device?> FindDeviceAsync(Actor actor, string productKey, string deviceName, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return Revealed(await db.Devices.AsNoTracking().VisibleTo(actor).Include(d => d.ModuleVersions)
            .FirstOrDefaultAsync(d => d.ProductKey == productKey && d.DeviceName == deviceName, ct));
    }

    /// <summary>All devices of a product with their versions, streamed (a product can have a million).</summary>
    public async IAsyncEnumerable<Device> DevicesOfAsync(Actor actor, string productKey, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await foreach (var d in db.Devices.AsNoTracking().VisibleTo(actor).Include(d => d.ModuleVersions).Where(d => d.ProductKey == productKey).OrderBy(d => d.Id).AsAsyncEnumerable().WithCancellation(ct))
            yield return Revealed(d)!;
    }

    public async Task<Device?> FindDeviceByIotIdAsync(Actor actor, string iotId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return Revealed(await db.Devices.AsNoTracking().VisibleTo(actor).Include(d => d.ModuleVersions).FirstOrDefaultAsync(d => d.IotId == iotId, ct));
    }

    /// <summary>A device's secret as the device has it (the database keeps it encrypted).</summary>
    public string SecretOf(Device device) => secrets.Reveal(device.DeviceSecret);

    private Device? Revealed(Device? device)
    {
        if (device is not null)
            device.DeviceSecret = secrets.Reveal(device.DeviceSecret);
        return device;
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

    private static async Task RequireProductAsync(OtaDbContext db, Actor actor, string productKey, CancellationToken ct)
    {
        actor.RequireProduct(productKey);
        if (!await db.Products.AnyAsync(p => p.ProductKey == productKey, ct))
            throw OtaException.NotFound("Product", productKey);
    }

    private static string Printable(string? s) => Validation.NameRules.Printable(s, 40);

    private void Changed() => feed.Publish(new OtaChange(new HashSet<string>(), new HashSet<string>(), DevicesChanged: true, CatalogChanged: true));
}
