using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Devices;

/// <summary>Sign-in look-ups: known devices are remembered, unknown ones briefly, so a flood of bad sign-ins does not reach the database each time.</summary>
public sealed class DeviceSecretsTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private readonly CountingFactory _dbs;
    private readonly DeviceSecrets _secrets;

    public DeviceSecretsTests()
    {
        _dbs = new CountingFactory(_h.Database);
        _secrets = new DeviceSecrets(_dbs, _h.Time, _h.Feed, _h.Secrets);
    }

    public void Dispose() => _h.Dispose();

    private sealed class CountingFactory(IDbContextFactory<OtaDbContext> inner) : IDbContextFactory<OtaDbContext>
    {
        public int Created;

        public OtaDbContext CreateDbContext()
        {
            Interlocked.Increment(ref Created);
            return inner.CreateDbContext();
        }
    }

    [Fact]
    public async Task An_unknown_device_is_looked_up_once_in_30_seconds()
    {
        await _h.ProductAsync();
        var nobody = EngineHarness.Key("nobody-1");

        for (var i = 0; i < 100; i++)
            Assert.Null(await _secrets.FindAsync(nobody));
        Assert.Equal(1, _dbs.Created);

        _h.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(await _secrets.FindAsync(nobody));
        Assert.Equal(2, _dbs.Created);
    }

    [Fact]
    public async Task A_device_registered_after_a_failed_look_up_can_sign_in_at_once()
    {
        await _h.ProductAsync();
        var key = EngineHarness.Key("late-001");
        Assert.Null(await _secrets.FindAsync(key));

        var device = await _h.Catalog.RegisterDeviceAsync(Actor.System, EngineHarness.ProductKey, "late-001");

        Assert.Equal(device.DeviceSecret, await _secrets.FindAsync(key));
    }

    [Fact]
    public async Task A_flood_of_distinct_unknown_devices_keeps_a_bounded_memory()
    {
        await _h.ProductAsync();
        for (var i = 0; i < DeviceSecrets.MaxUnknown + 500; i++)
            await _secrets.FindAsync(EngineHarness.Key($"nobody-{i}"));
        Assert.InRange(_secrets.UnknownCount, 1, DeviceSecrets.MaxUnknown);
    }
}
