using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Persistence;

public sealed class OtaDbContext(DbContextOptions<OtaDbContext> options) : DbContext(options)
{
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

    protected override void ConfigureConventions(ModelConfigurationBuilder b)
    {
        // Enums are stored by name, so the database reads on its own and reordering an enum breaks nothing.
        b.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
        // Times are UTC milliseconds: sortable and comparable in SQL on every provider.
        b.Properties<DateTimeOffset>().HaveConversion<UtcMillisecondsConverter>();
        b.Properties<DateTimeOffset?>().HaveConversion<UtcMillisecondsConverter>();
    }

    protected override void OnModelCreating(ModelBuilder b) => b.ApplyConfigurationsFromAssembly(typeof(OtaDbContext).Assembly);
}

public sealed class UtcMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.ToUnixTimeMilliseconds(),
    v => DateTimeOffset.FromUnixTimeMilliseconds(v));
