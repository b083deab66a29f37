using OtaConsole.Core.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Persistence;

internal sealed class ProductConfiguration : IEntityTypeConfiguration<Product>
{
    public void Configure(EntityTypeBuilder<Product> b)
    {
        b.ToTable("Products");
        b.HasIndex(p => p.ProductKey).IsUnique();
        b.Property(p => p.ProductKey).HasMaxLength(32);
        b.Property(p => p.Name).HasMaxLength(64);
        b.HasMany(p => p.Modules).WithOne().HasForeignKey(m => m.ProductKey).HasPrincipalKey(p => p.ProductKey);
    }
}

internal sealed class OtaModuleConfiguration : IEntityTypeConfiguration<OtaModule>
{
    public void Configure(EntityTypeBuilder<OtaModule> b)
    {
        b.ToTable("Modules");
        b.HasIndex(m => new { m.ProductKey, m.ModuleName }).IsUnique();
        b.Property(m => m.ModuleName).HasMaxLength(64);
    }
}

internal sealed class DeviceGroupConfiguration : IEntityTypeConfiguration<DeviceGroup>
{
    public void Configure(EntityTypeBuilder<DeviceGroup> b)
    {
        b.ToTable("DeviceGroups");
        b.HasIndex(g => g.GroupId).IsUnique();
    }
}

internal sealed class DeviceConfiguration : IEntityTypeConfiguration<Device>
{
    public void Configure(EntityTypeBuilder<Device> b)
    {
        b.ToTable("Devices");
        b.HasIndex(d => new { d.ProductKey, d.DeviceName }).IsUnique();
        b.HasIndex(d => d.IotId).IsUnique();
        b.HasIndex(d => d.GroupId);
        b.Property(d => d.DeviceName).HasMaxLength(32);
        b.HasMany(d => d.ModuleVersions).WithOne().HasForeignKey(v => v.DeviceId);
        // The scheduler's releases: partial, as most devices are never quarantined.
        b.HasIndex(d => d.QuarantinedUntil).HasFilter("\"QuarantinedUntil\" IS NOT NULL");
        // Ota:Rollout:OfflineAfterSilence: the online devices that have been silent longest.
        b.HasIndex(d => d.LastSeenAt).HasFilter("\"IsOnline\"");
        b.Property(d => d.QuarantineReason).HasMaxLength(500);
    }
}

internal sealed class DeviceModuleVersionConfiguration : IEntityTypeConfiguration<DeviceModuleVersion>
{
    public void Configure(EntityTypeBuilder<DeviceModuleVersion> b)
    {
        b.ToTable("DeviceVersions");
        b.HasKey(v => new { v.DeviceId, v.ModuleName });
        // Version distribution and source-version filters group by module and version.
        b.HasIndex(v => new { v.ModuleName, v.Version });
    }
}

internal sealed class UpdatePackageConfiguration : IEntityTypeConfiguration<UpdatePackage>
{
    public void Configure(EntityTypeBuilder<UpdatePackage> b)
    {
        b.ToTable("Packages");
        b.HasIndex(p => p.Name).IsUnique();
        b.HasIndex(p => p.ProductKey);
        b.Property(p => p.Id).HasMaxLength(32);
        b.HasMany(p => p.Files).WithOne().HasForeignKey(f => f.PackageId);
        b.Navigation(p => p.Files).AutoInclude();
        b.Ignore(p => p.IsMultiFile);
        b.Ignore(p => p.CanVerify);
        b.Ignore(p => p.CanStartBatch);
        b.Ignore(p => p.TotalSize);
        b.Ignore(p => p.Sign);
    }
}

internal sealed class PackageFileConfiguration : IEntityTypeConfiguration<PackageFile>
{
    public void Configure(EntityTypeBuilder<PackageFile> b)
    {
        b.ToTable("PackageFiles");
        b.HasIndex(f => new { f.PackageId, f.Index }).IsUnique();
    }
}

internal sealed class BatchConfiguration : IEntityTypeConfiguration<Batch>
{
    public void Configure(EntityTypeBuilder<Batch> b)
    {
        b.ToTable("Batches");
        b.Property(x => x.Id).HasMaxLength(32);
        b.HasIndex(x => x.PackageId);
        b.HasIndex(x => x.Status);
        b.ComplexProperty(x => x.PushRate);
        b.ComplexProperty(x => x.Counts);
        b.OwnsMany(x => x.Tags, t => t.ToJson());
        b.OwnsMany(x => x.FailureRules, r => r.ToJson());
        b.OwnsOne(x => x.Window, w => w.ToJson());
        b.OwnsOne(x => x.RuleBaseline, r =>
        {
            r.ToJson();
            r.OwnsMany(x => x.Ended);
            r.OwnsMany(x => x.Failed);
        });
        b.OwnsMany(x => x.Waves, w =>
        {
            w.ToJson();
            w.OwnsOne(x => x.Counts, c =>
            {
                c.Ignore(x => x.Total);
                c.Ignore(x => x.Unfinished);
            });
            w.Ignore(x => x.SoakEndsAt);
            w.Ignore(x => x.Judged);
            w.Ignore(x => x.SucceededPercent);
            w.Ignore(x => x.Gate);
        });
        b.Property(x => x.PauseReason).HasMaxLength(1000);
        b.Property(x => x.RollbackOf).HasMaxLength(32);
        b.HasIndex(x => x.RollbackOf).HasFilter("\"RollbackOf\" IS NOT NULL");
        b.Property(x => x.EditVersion).IsConcurrencyToken();
        b.Ignore(x => x.IsDynamic);
        b.Ignore(x => x.IsFinished);
        b.Ignore(x => x.CanEdit);
        b.Ignore(x => x.CanCancel);
        b.Ignore(x => x.CanPause);
        b.Ignore(x => x.CanResume);
        b.Ignore(x => x.IsActive);
        b.Ignore(x => x.HasWaves);
        b.Ignore(x => x.Current);
        b.Ignore(x => x.CanStartNextWave);
    }
}

internal sealed class BatchUnknownDeviceConfiguration : IEntityTypeConfiguration<BatchUnknownDevice>
{
    public void Configure(EntityTypeBuilder<BatchUnknownDevice> b)
    {
        b.HasIndex(x => new { x.BatchId, x.Id });
        // Device names are at most 32 characters; a name in the list may be anything the operator pasted, cut short.
        b.Property(x => x.DeviceName).HasMaxLength(BatchRules.MaxUnknownNameLength);
    }
}

internal sealed class UpdateTaskConfiguration : IEntityTypeConfiguration<UpdateTask>
{
    public void Configure(EntityTypeBuilder<UpdateTask> b)
    {
        b.ToTable("Tasks");
        // Device list by status, and the scheduler's "waiting for a slot" in push order: wave by wave, so a batch
        // whose current wave is pushed reads nothing of its later waves' tasks.
        b.HasIndex(t => new { t.BatchId, t.Status, t.QueueReason, t.Wave, t.Id });
        // Device list by name (its default order, and name search: the index covers the filter) and by last update.
        b.HasIndex(t => new { t.BatchId, t.DeviceName });
        b.HasIndex(t => new { t.BatchId, t.ModifiedAt });
        // A device's unfinished tasks, for reports and conflicts.
        b.HasIndex(t => new { t.DeviceId, t.Status });
        b.HasIndex(t => new { t.ProductKey, t.Status });
        b.HasIndex(t => new { t.PackageId, t.DeviceId });
        // The scheduler's due work. Partial: most tasks wait for neither, and a NULL entry would cost every insert.
        b.HasIndex(t => t.TimeoutAt).HasFilter("\"TimeoutAt\" IS NOT NULL");
        b.HasIndex(t => t.RetryDueAt).HasFilter("\"RetryDueAt\" IS NOT NULL");
        b.HasIndex(t => t.NoticeDueAt).HasFilter("\"NoticeDueAt\" IS NOT NULL");
    }
}

internal sealed class TaskEventConfiguration : IEntityTypeConfiguration<TaskEvent>
{
    public void Configure(EntityTypeBuilder<TaskEvent> b)
    {
        b.ToTable("TaskEvents");
        b.HasIndex(e => new { e.TaskId, e.Id });
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.ToTable("AuditLog");
        b.HasIndex(a => a.At);
        b.HasIndex(a => new { a.TargetType, a.TargetId, a.At });
        b.HasIndex(a => new { a.ActorName, a.At });
        b.Property(a => a.ActorId).HasMaxLength(128);
        b.Property(a => a.ActorName).HasMaxLength(256);
        b.Property(a => a.Address).HasMaxLength(64);
        b.Property(a => a.Action).HasMaxLength(64);
        b.Property(a => a.TargetType).HasMaxLength(32);
        b.Property(a => a.TargetId).HasMaxLength(256);
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    public void Configure(EntityTypeBuilder<ApiKeyRecord> b)
    {
        b.ToTable("ApiKeys");
        b.HasKey(k => k.Id);
        b.Property(k => k.Id).HasMaxLength(64);
        b.Property(k => k.Name).HasMaxLength(64);
        b.Property(k => k.CreatedBy).HasMaxLength(256);
    }
}

internal sealed class SchedulerLeaseConfiguration : IEntityTypeConfiguration<SchedulerLease>
{
    public void Configure(EntityTypeBuilder<SchedulerLease> b)
    {
        b.ToTable("SchedulerLeases");
        b.HasKey(l => l.Name);
        b.Property(l => l.Name).HasMaxLength(64);
        b.Property(l => l.Holder).HasMaxLength(256);
        // The row exists from the start, so taking the lease is one conditional UPDATE (no insert race between nodes).
        b.HasData(new SchedulerLease { Name = SchedulerLease.SchedulerName, Holder = "", ExpiresAt = DateTimeOffset.UnixEpoch },
            new SchedulerLease { Name = SchedulerLease.WebhooksName, Holder = "", ExpiresAt = DateTimeOffset.UnixEpoch },
            new SchedulerLease { Name = SchedulerLease.AlibabaMessagesName, Holder = "", ExpiresAt = DateTimeOffset.UnixEpoch });
    }
}

internal sealed class ApiNonceConfiguration : IEntityTypeConfiguration<ApiNonce>
{
    public void Configure(EntityTypeBuilder<ApiNonce> b)
    {
        b.ToTable("ApiNonces");
        b.HasKey(n => n.Key);
        b.Property(n => n.Key).HasMaxLength(200);
        b.HasIndex(n => n.ExpiresAt);
    }
}
