using OtaConsole.Core.Security;
using Microsoft.Data.Sqlite;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Devices;

/// <summary>Device secrets are encrypted in the database; devices sign in unchanged, also those from before.</summary>
public sealed class SecretEncryptionTests
{
    [Fact]
    public async Task A_registered_device_s_secret_is_encrypted_in_the_database_and_the_device_signs_in_with_it()
    {
        await using var host = await ConsoleHost.StartAsync();
        await host.ProductAsync();
        var spec = (await host.RegisterAsync(1))[0];

        var stored = await StoredSecretAsync(host.Folder, "dev-000");
        Assert.True(SecretProtector.IsProtected(stored));
        Assert.DoesNotContain(spec.Secret, stored);
        Assert.Equal(spec.Secret, (await host.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!.DeviceSecret);
        Assert.True(await host.Device(spec).ConnectAsync());
    }

    [Fact]
    public async Task Secrets_of_a_database_from_before_are_encrypted_at_start_and_their_devices_still_sign_in()
    {
        var folder = Directory.CreateTempSubdirectory("ota-console-").FullName;
        await using (var before = await ConsoleHost.StartAsync(folder: folder))
        {
            await before.ProductAsync();
            await before.RegisterAsync(1);
        }
        // As a console before this change left it: the secret in plain text.
        SqliteConnection.ClearAllPools();
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "ota.db")}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE Devices SET DeviceSecret = 'legacy-secret-0001' WHERE DeviceName = 'dev-000'";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        await using var after = await ConsoleHost.StartAsync(folder: folder);

        var stored = await StoredSecretAsync(folder, "dev-000");
        Assert.True(SecretProtector.IsProtected(stored));
        var spec = new SimDeviceSpec(new DeviceKey(ConsoleHost.ProductKey, "dev-000"), "legacy-secret-0001") { Versions = new() { [OtaModule.Default] = "1.0.0" } };
        Assert.True(await after.Device(spec).ConnectAsync());
        await after.DisposeAsync();
        Directory.Delete(folder, true);
    }

    private static async Task<string> StoredSecretAsync(string folder, string deviceName)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "ota.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DeviceSecret FROM Devices WHERE DeviceName = $name";
        command.Parameters.AddWithValue("$name", deviceName);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
