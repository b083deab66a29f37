using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using OtaConsole.Core.Model;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Persistence;

/// <summary>
/// The console's one database: the fleet, rollouts, the audit log, and operators' accounts (Identity's tables).
/// The same type serves SQLite and PostgreSQL; only PostgreSQL's migrations use <see cref="PostgresOtaDbContext"/>.
/// </summary>
public class OtaDbContext : IdentityDbContext<OperatorAccount>, IDataProtectionKeyContext
{
    public OtaDbContext(DbContextOptions<OtaDbContext> options) : base(options)
    {
    }

    protected OtaDbContext(DbContextOptions options) : base(options)
    {
    }

    public DbSet<Product> Products => Set<Product>();
    public DbSet<OtaModule> Modules => Set<OtaModule>();
    public DbSet<DeviceGroup> Groups => Set<DeviceGroup>();
    public DbSet<Device> Devices => Set<Device>();
    public DbSet<DeviceModuleVersion> DeviceVersions => Set<DeviceModuleVersion>();
    public DbSet<UpdatePackage> Packages => Set<UpdatePackage>();
    public DbSet<PackageFile> PackageFiles => Set<PackageFile>();
    public DbSet<Batch> Batches => Set<Batch>();
    public DbSet<UpdateTask> Tasks => Set<UpdateTask>();
    public DbSet<TaskEvent> TaskEvents => Set<TaskEvent>();
    public DbSet<BatchUnknownDevice> BatchUnknownDevices => Set<BatchUnknownDevice>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();
    public DbSet<SchedulerLease> SchedulerLeases => Set<SchedulerLease>();
    public DbSet<ApiNonce> ApiNonces => Set<ApiNonce>();
    public DbSet<Webhooks.WebhookSubscription> WebhookSubscriptions => Set<Webhooks.WebhookSubscription>();
    public DbSet<Webhooks.OutboxEvent> OutboxEvents => Set<Webhooks.OutboxEvent>();
    public DbSet<Webhooks.WebhookDelivery> WebhookDeliveries => Set<Webhooks.WebhookDelivery>();
    public DbSet<Webhooks.WebhookAttempt> WebhookAttempts => Set<Webhooks.WebhookAttempt>();
    /// <summary>Data Protection's keys when several nodes share them (PostgreSQL); one node keeps them in a folder outside the database.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void ConfigureConventions(ModelConfigurationBuilder b)
    {
        base.ConfigureConventions(b);
        // Enums are stored by name, so the database reads on its own and reordering an enum breaks nothing.
        b.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
        // Times are UTC milliseconds: sortable and comparable in SQL on every provider.
        b.Properties<DateTimeOffset>().HaveConversion<UtcMillisecondsConverter>();
        b.Properties<DateTimeOffset?>().HaveConversion<UtcMillisecondsConverter>();
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        b.ApplyConfigurationsFromAssembly(typeof(OtaDbContext).Assembly);
    }
}

public sealed class UtcMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.ToUnixTimeMilliseconds(),
    v => DateTimeOffset.FromUnixTimeMilliseconds(v));

/// <summary>
/// The context PostgreSQL's migrations are kept for (Persistence/Postgres/Migrations): EF Core files migrations
/// by context type, and SQLite's belong to <see cref="OtaDbContext"/>. The model is the same.
/// </summary>
public sealed class PostgresOtaDbContext(DbContextOptions options) : OtaDbContext(options);
