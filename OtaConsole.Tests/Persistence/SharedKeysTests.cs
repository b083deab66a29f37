using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Persistence;

/// <summary>
/// Several nodes on PostgreSQL share Data Protection's keys through the database: a device secret or a sign-in
/// cookie protected on one node opens on another.
/// </summary>
public sealed class SharedKeysTests
{
    [Fact]
    public async Task What_one_node_protects_another_node_unprotects()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "several nodes share a PostgreSQL database (OTA_TEST_DATABASE=postgres)");
        await using var a = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Rollout:NodeId"] = "node-a" });
        var sealedOnA = a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("OtaConsole.Tests").Protect("device secret");
        // B's own folder: nothing but the database is shared.
        await using var b = await ConsoleHost.StartAsync(new Dictionary<string, string?>
        {
            ["Ota:Rollout:NodeId"] = "node-b",
            ["Ota:Database:Provider"] = "Postgres",
            ["Ota:Database:ConnectionString"] = a.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Core.OtaOptions>>().Value.Database.ConnectionString,
        });

        Assert.Equal("device secret", b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("OtaConsole.Tests").Unprotect(sealedOnA));
        await using var db = a.Db();
        Assert.NotEmpty(await db.DataProtectionKeys.ToListAsync());
        Assert.False(Directory.Exists(Path.Combine(a.Folder, "keys")));
    }
}
