using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Rollout;

/// <summary>A device a batch will reach, with what the engine needs to queue it.</summary>
public readonly record struct Candidate(long DeviceId, string DeviceName, bool Online, string? Version);

public sealed record Resolution(List<Candidate> Candidates, Dictionary<SkipReason, int> Skipped, List<string> UnknownDeviceNames);

/// <summary>
/// Turns a batch's scope into devices: ALL, SPECIFIC (unknown names reported back), GRAY (floor of the
/// percentage, at least one), GROUP (with sub-groups); then drops devices already on the destination version,
/// devices off a differential package's source version, and devices off the chosen source versions.
/// </summary>
internal static class TargetResolver
{
    public static async Task<Resolution> ResolveAsync(OtaDbContext db, CreateBatchRequest r, UpdatePackage package, CancellationToken ct)
    {
        var skipped = new Dictionary<SkipReason, int>();
        var unknown = new List<string>();

        List<string>? wanted = null;
        List<string>? valid = null;
        HashSet<string>? groups = null;
        if (r.Target == TargetSelection.Specific)
        {
            wanted = r.DeviceNames.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            unknown.AddRange(wanted.Where(n => !NameRules.IsDeviceName(n)));
            valid = wanted.Where(NameRules.IsDeviceName).ToList();
        }
        else if (r.Target == TargetSelection.Group)
        {
            groups = await GroupWithDescendantsAsync(db, r.GroupId!, ct);
        }

        var rows = (await EngineStore.For(db).TargetRowsAsync(package.ProductKey, package.ModuleName, valid, groups, ct))
            .Select(x => new { Id = x.Id, DeviceName = x.Name, IsOnline = x.Online, x.Version })
            .OrderBy(x => x.Id)
            .ToList();

        if (wanted is not null)
        {
            var found = rows.Select(x => x.DeviceName).ToHashSet(StringComparer.Ordinal);
            unknown.AddRange(wanted.Where(n => NameRules.IsDeviceName(n) && !found.Contains(n)));
        }

        if (r.Selection == SelectionType.Dynamic && r.DynamicMode == DynamicMode.NewReportsOnly)
        {
            if (rows.Count > 0)
                skipped[SkipReason.WaitsForNewReport] = rows.Count;
            return new Resolution([], skipped, unknown);
        }

        var sources = EffectiveSourceVersions(r.SrcVersions, package);
        var candidates = new List<Candidate>(rows.Count);
        foreach (var d in rows)
        {
            var reason = SkipFor(d.Version, package, sources);
            if (reason is SkipReason s)
                skipped[s] = skipped.GetValueOrDefault(s) + 1;
            else
                candidates.Add(new Candidate(d.Id, d.DeviceName, d.IsOnline, d.Version));
        }

        if (r.Target == TargetSelection.Gray && NameRules.TryParseGrayPercent(r.GrayPercent, out var percent) && candidates.Count > 0)
        {
            // Floor of the share, at least one device; a random sample, so a canary is spread over the fleet.
            var take = Math.Max(1, (int)Math.Floor(candidates.Count * percent / 100m));
            if (candidates.Count > take)
                skipped[SkipReason.NotSampled] = candidates.Count - take;
            candidates = candidates.OrderBy(_ => Random.Shared.Next()).Take(take).OrderBy(c => c.DeviceId).ToList();
        }

        return new Resolution(candidates, skipped, unknown);
    }

    /// <summary>The versions a task may start from: a differential package's own source, else the batch's list (empty = any).</summary>
    public static IReadOnlyList<string> EffectiveSourceVersions(IReadOnlyList<string> batchSources, UpdatePackage package) =>
        package.Type == PackageType.Differential && package.SrcVersion is not null ? [package.SrcVersion] : batchSources;

    /// <summary>Why a device on <paramref name="version"/> gets no task, or null when it gets one.</summary>
    public static SkipReason? SkipFor(string? version, UpdatePackage package, IReadOnlyList<string> sources)
    {
        if (version == package.DestVersion)
            return SkipReason.AlreadyOnDestination;
        if (package.Type == PackageType.Differential && version != package.SrcVersion)
            return SkipReason.NotOnPackageSource;
        if (sources.Count > 0 && (version is null || !sources.Contains(version)))
            return SkipReason.SourceVersionNotSelected;
        return null;
    }

    public static async Task<HashSet<string>> GroupWithDescendantsAsync(OtaDbContext db, string groupId, CancellationToken ct)
    {
        var all = await db.Groups.AsNoTracking().Select(g => new { g.GroupId, g.ParentGroupId }).ToListAsync(ct);
        if (!all.Any(g => g.GroupId == groupId))
            throw OtaException.NotFound("Group", groupId);
        var result = new HashSet<string>(StringComparer.Ordinal) { groupId };
        var added = true;
        while (added)
        {
            added = false;
            foreach (var g in all)
            {
                if (g.ParentGroupId is not null && result.Contains(g.ParentGroupId) && result.Add(g.GroupId))
                    added = true;
            }
        }
        return result;
    }
}
