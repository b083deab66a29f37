using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Diagnostics;

/// <summary>Ready needs the database: its file opens and a table reads.</summary>
public sealed class DatabaseReadiness(IDbContextFactory<OtaDbContext> dbs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbs.CreateDbContextAsync(cancellationToken);
            if (!await db.Database.CanConnectAsync(cancellationToken))
                return HealthCheckResult.Unhealthy("the database cannot be opened");
            await db.Products.AnyAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException)
        {
            return HealthCheckResult.Unhealthy($"the database cannot be read: {e.Message}");
        }
    }
}

/// <summary>Ready needs the broker: the embedded one listening, or the connection to the external one up.</summary>
public sealed class BrokerReadiness(IBrokerStatus broker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(broker.NotReadyBecause is { } why ? HealthCheckResult.Unhealthy(why) : HealthCheckResult.Healthy());
}
