using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// One source version of a rollback: the devices the batch updated from it, the ready packages that return them
/// there (newest first), and the one taken when none is chosen (the newest).
/// </summary>
public sealed record RollbackStep(string Version, IReadOnlyList<string> DeviceNames, IReadOnlyList<UpdatePackage> Candidates)
{
    public UpdatePackage? Package => Candidates.Count > 0 ? Candidates[0] : null;
}

/// <summary>What a rollback did: a batch per source version that had a package, and the versions that had none.</summary>
public sealed record RollbackResult(IReadOnlyList<(string Version, string BatchId)> Started, IReadOnlyList<string> VersionsWithoutPackage);

/// <summary>
/// Rolling a batch back (ours): the devices it updated go back to the version each came from, one batch per
/// version, each through a package of that version (the newest ready one of the same product and module: a full
/// package, or a differential one from the batch's version), specified devices, under a safety policy of its own.
/// </summary>
internal static class Rollback
{
    public static async Task<List<RollbackStep>> PlanAsync(OtaDbContext db, Actor actor, string batchId, CancellationToken ct)
    {
        var batch = await db.Batches.AsNoTracking().VisibleTo(actor).FirstOrDefaultAsync(b => b.Id == batchId, ct)
                    ?? throw OtaException.NotFound("Job", batchId);
        var updated = await db.Tasks.AsNoTracking().Where(t => t.BatchId == batchId && t.Status == OtaTaskStatus.Succeeded && t.SrcVersion != null)
            .Select(t => new { t.SrcVersion, t.DeviceName }).ToListAsync(ct);
        var versions = updated.Select(u => u.SrcVersion!).Distinct().ToList();
        var packages = await db.Packages.AsNoTracking()
            .Where(p => p.ProductKey == batch.ProductKey && p.ModuleName == batch.ModuleName && versions.Contains(p.DestVersion)
                && (p.Status == PackageStatus.Verified || p.Status == PackageStatus.NoVerificationNeeded)
                && (p.Type == PackageType.Full || p.SrcVersion == batch.DestVersion))
            .ToListAsync(ct);
        return updated.GroupBy(u => u.SrcVersion!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new RollbackStep(g.Key, g.Select(u => u.DeviceName).Order(StringComparer.Ordinal).ToList(),
                packages.Where(p => p.DestVersion == g.Key).OrderByDescending(p => p.CreatedAt).ToList()))
            .ToList();
    }

    /// <summary>The package for each version that has one: the chosen one, which must be among its candidates, or the newest.</summary>
    public static Dictionary<string, string> ChoosePackages(List<RollbackStep> plan, IReadOnlyDictionary<string, string> chosen)
    {
        var errors = new List<FieldError>();
        foreach (var (version, packageId) in chosen)
        {
            var step = plan.FirstOrDefault(s => s.Version == version);
            if (step is null)
                errors.Add(new("Firmware.N.SrcVersion", $"batch updated no device from version {version}; its source versions are {string.Join(", ", plan.Select(s => s.Version))}."));
            else if (step.Candidates.All(p => p.Id != packageId))
                errors.Add(new("Firmware.N.FirmwareId", $"package {packageId} is not a ready package to {version} of this module" +
                    (step.Candidates.Count == 0 ? "; there is none." : $"; these are: {string.Join(", ", step.Candidates.Select(p => p.Id))}.")));
        }
        OtaValidationException.ThrowIfAny(errors);
        return plan.Where(s => s.Package is not null).ToDictionary(s => s.Version, s => chosen.GetValueOrDefault(s.Version) ?? s.Package!.Id);
    }
}
