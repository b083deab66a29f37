using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Packages;

/// <summary>One file of a new package. <see cref="ExpectedSign"/>, when given, must match the file's digest.</summary>
public sealed record PackageFileUpload(string Name, Stream Content, string? ExpectedSign = null);

/// <summary>A new update package: every field of Alibaba's CreateOTAFirmware.</summary>
public sealed record CreatePackageRequest
{
    public required string ProductKey { get; init; }
    public required string Name { get; init; }
    public required string DestVersion { get; init; }
    public string? SrcVersion { get; init; }
    public PackageType Type { get; init; } = PackageType.Full;
    public string ModuleName { get; init; } = OtaModule.Default;
    public SignMethod SignMethod { get; init; } = SignMethod.Md5;
    public string? Description { get; init; }
    public bool NeedToVerify { get; init; } = true;
    public string? Udi { get; init; }
    public required IReadOnlyList<PackageFileUpload> Files { get; init; }
}

/// <summary>Update packages: created with their files (digests computed, the operator's signature checked), listed, deleted.</summary>
public sealed class PackageService(IDbContextFactory<OtaDbContext> dbs, PackageFileStore store, TimeProvider time, OtaChangeFeed feed, AuditedWrites audited)
{
    public const int MaxFiles = 20;
    public const int MaxUdiLength = 4096;

    public async Task<UpdatePackage> CreateAsync(Actor actor, CreatePackageRequest r, CancellationToken ct = default)
    {
        string? stored = null;
        var details = new { r.Name, r.DestVersion, r.SrcVersion, r.Type, r.ModuleName, r.SignMethod, r.NeedToVerify, files = r.Files.Select(f => f.Name).ToList() };
        UpdatePackage package;
        try
        {
            package = await audited.RunAsync(actor, new("package.create", "upload an update package", "product", r.ProductKey, details), async db =>
            {
                var errors = Validate(r);
                OtaValidationException.ThrowIfAny(errors);
                actor.RequireProduct(r.ProductKey);
                if (!await db.Products.AnyAsync(p => p.ProductKey == r.ProductKey, ct))
                    throw OtaException.NotFound("Product", r.ProductKey);
                if (!await db.Modules.AnyAsync(m => m.ProductKey == r.ProductKey && m.ModuleName == r.ModuleName, ct))
                    throw OtaException.NotFound("Module", $"{r.ProductKey}/{r.ModuleName}");
                if (await db.Packages.AnyAsync(p => p.Name == r.Name, ct))
                    throw OtaException.Conflict("FirmwareNameExists", $"A package named {r.Name} already exists.");
                var package = NewPackage(r);
                stored = package.Id;
                await StoreFilesAsync(package, r, ct);
                db.Packages.Add(package);
                await Webhooks.Outbox.AddAsync(db, Webhooks.OtaEvents.Package(package, Webhooks.OtaEventTypes.PackageUploaded, package.CreatedAt), ct);
                return package;
            }, p => ("package", p.Id), ct);
        }
        catch
        {
            if (stored is not null)
                store.DeletePackage(stored);
            throw;
        }
        feed.Publish(new OtaChange(new HashSet<string>(), new HashSet<string> { package.Id }, false, CatalogChanged: true));
        return package;
    }

    private UpdatePackage NewPackage(CreatePackageRequest r)
    {
        var now = time.GetUtcNow();
        return new UpdatePackage
        {
            Id = OtaIds.NewFirmwareId(),
            ProductKey = r.ProductKey,
            Name = r.Name,
            DestVersion = r.DestVersion,
            SrcVersion = r.Type == PackageType.Differential ? r.SrcVersion : null,
            Type = r.Type,
            ModuleName = r.ModuleName,
            SignMethod = r.SignMethod,
            Description = r.Description,
            NeedToVerify = r.NeedToVerify,
            Status = r.NeedToVerify ? PackageStatus.Unverified : PackageStatus.NoVerificationNeeded,
            Udi = r.Udi,
            CreatedAt = now,
            ModifiedAt = now,
        };
    }

    /// <summary>Stores each file, computes its digests, and checks the signature the operator gave.</summary>
    private async Task StoreFilesAsync(UpdatePackage package, CreatePackageRequest r, CancellationToken ct)
    {
        for (var i = 0; i < r.Files.Count; i++)
        {
            var upload = r.Files[i];
            var stored = await store.SaveAsync(package.Id, i, upload.Content, ct);
            var sign = r.SignMethod == SignMethod.Md5 ? stored.Md5 : stored.Sha256;
            if (upload.ExpectedSign is { Length: > 0 } expected && !string.Equals(expected.Trim(), sign, StringComparison.OrdinalIgnoreCase))
                throw new OtaValidationException([new FieldError(r.Files.Count == 1 ? "FirmwareSign" : $"MultiFiles.{i + 1}.SignValue",
                    $"the {(r.SignMethod == SignMethod.Md5 ? "MD5" : "SHA256")} signature given ({Shorten(expected)}) does not match file {upload.Name} ({sign}).")]);
            package.Files.Add(new PackageFile
            {
                PackageId = package.Id,
                Index = i,
                Name = upload.Name,
                Size = stored.Size,
                Md5 = stored.Md5,
                Sha256 = stored.Sha256,
                Sign = sign,
                StoragePath = stored.StoragePath,
            });
        }
    }

    public async Task<UpdatePackage?> FindAsync(Actor actor, string packageId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Packages.AsNoTracking().VisibleTo(actor).FirstOrDefaultAsync(p => p.Id == packageId, ct);
    }

    public async Task<List<UpdatePackage>> ListAsync(Actor actor, string? productKey = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Packages.AsNoTracking().VisibleTo(actor);
        if (productKey is not null)
            q = q.Where(p => p.ProductKey == productKey);
        return await q.OrderByDescending(p => p.CreatedAt).ToListAsync(ct);
    }

    public async Task<PackageFile?> FindFileAsync(Actor actor, string packageId, int index, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.SeesPackageAsync(actor, packageId, ct))
            return null;
        return await db.PackageFiles.AsNoTracking().FirstOrDefaultAsync(f => f.PackageId == packageId && f.Index == index, ct);
    }

    /// <summary>Deletes a package, its files, and its finished batches and their tasks. Refused while a batch of it runs.</summary>
    public async Task DeleteAsync(Actor actor, string packageId, CancellationToken ct = default)
    {
        await audited.RunAsync(actor, new("package.delete", "delete an update package", "package", packageId, null), async db =>
        {
            var package = await db.Packages.VisibleTo(actor).FirstOrDefaultAsync(p => p.Id == packageId, ct) ?? throw OtaException.NotFound("Firmware", packageId);
            var statuses = TaskStateMachine.UnfinishedStatuses;
            var running = await db.Batches.AnyAsync(b => b.PackageId == packageId && (b.Status == BatchStatus.Planned || b.Status == BatchStatus.InProgress || b.Status == BatchStatus.Paused), ct)
                          || await db.Tasks.AnyAsync(t => t.PackageId == packageId && statuses.Contains(t.Status), ct);
            if (running)
                throw OtaException.Conflict("FirmwareInUse", $"Package {package.Name} has a running batch or devices still updating to it; cancel them before deleting the package.");
            var taskIds = db.Tasks.Where(t => t.PackageId == packageId).Select(t => t.Id);
            await db.TaskEvents.Where(e => taskIds.Contains(e.TaskId)).ExecuteDeleteAsync(ct);
            await db.Tasks.Where(t => t.PackageId == packageId).ExecuteDeleteAsync(ct);
            var batchIds = db.Batches.Where(b => b.PackageId == packageId).Select(b => b.Id);
            await db.BatchUnknownDevices.Where(u => batchIds.Contains(u.BatchId)).ExecuteDeleteAsync(ct);
            await db.Batches.Where(b => b.PackageId == packageId).ExecuteDeleteAsync(ct);
            db.Packages.Remove(package);
            return true;
        }, null, ct);
        store.DeletePackage(packageId);
        feed.Publish(new OtaChange(new HashSet<string>(), new HashSet<string> { packageId }, false, CatalogChanged: true));
    }

    public static List<FieldError> Validate(CreatePackageRequest r)
    {
        var errors = new List<FieldError>();
        if (!NameRules.IsPackageName(r.Name))
            errors.Add(new("FirmwareName", "a package name is 1-40 characters of letters, digits, CJK or Japanese characters and - _ ( ), starting with a letter, digit or CJK/Japanese character.", string.IsNullOrEmpty(r.Name)));
        if (!NameRules.IsVersion(r.DestVersion))
            errors.Add(new("DestVersion", "a version is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.", string.IsNullOrEmpty(r.DestVersion)));
        if (!Enum.IsDefined(r.Type))
            errors.Add(new("Type", "Type is 0 (full) or 1 (differential)."));
        if (r.Type == PackageType.Differential)
        {
            if (!NameRules.IsVersion(r.SrcVersion))
                errors.Add(new("SrcVersion", "a differential package needs its source version: 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.", r.SrcVersion is null));
            else if (r.SrcVersion == r.DestVersion)
                errors.Add(new("SrcVersion", "a differential package's source and destination versions differ."));
        }
        if (!NameRules.IsModuleName(r.ModuleName))
            errors.Add(new("ModuleName", "a module name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'."));
        if (!Enum.IsDefined(r.SignMethod))
            errors.Add(new("SignMethod", "SignMethod is MD5 or SHA256."));
        if (!NameRules.IsPlainText(r.Description, 100))
            errors.Add(new("FirmwareDesc", "a package description is at most 100 characters."));
        if (r.Udi is { Length: > MaxUdiLength })
            errors.Add(new("Udi", $"custom information is at most {MaxUdiLength} characters; got {r.Udi.Length}."));
        if (r.Files.Count is 0 or > MaxFiles)
            errors.Add(new("MultiFiles.N", $"a package has 1-{MaxFiles} files; got {r.Files.Count}.", r.Files.Count == 0));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < r.Files.Count; i++)
        {
            var name = r.Files[i].Name ?? "";
            if (name.Length is < 1 or > 32 || name.Any(ch => char.IsControl(ch) || ch is '/' or '\\' or '"'))
                errors.Add(new($"MultiFiles.{i + 1}.Name", $"a file name is 1-32 characters without control characters, slashes or quotes; got '{Shorten(name)}'."));
            else if (!names.Add(name))
                errors.Add(new($"MultiFiles.{i + 1}.Name", $"file name {name} appears twice."));
        }
        return errors;
    }

    private static string Shorten(string s) => s.Length <= 70 ? s : s[..70] + "…";
}
