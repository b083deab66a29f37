using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core;
using OtaConsole.Core.Api;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>API keys made and revoked by Admins in the console, their secrets encrypted at rest.</summary>
public sealed class ApiKeyStoreTests
{
    [Fact]
    public async Task A_key_an_admin_makes_signs_requests_until_it_is_revoked_and_its_last_use_is_kept()
    {
        await using var host = await ConsoleHost.StartAsync();
        var store = host.Services.GetRequiredService<ApiKeyStore>();
        var admin = host.AdminActor();

        var key = await store.CreateAsync(admin, "nightly rollout script", ApiRole.Full);
        var api = host.Rpc(key.Id, key.Secret);
        (await api.PostAsync("CreateProduct", new { ProductName = "Made by a console key", NodeType = 0 })).Ok();
        await host.WaitForAsync(async () => (await store.ListAsync(admin)).Single().LastUsedAt is not null, what: "the key's last use to be written");

        var other = await store.CreateAsync(admin, "dashboard", ApiRole.ReadOnly);
        await store.RevokeAsync(admin, key.Id);

        (await api.PostAsync("CreateProduct", new { ProductName = "Refused", NodeType = 0 })).Refused(404, "InvalidAccessKeyId.NotFound");
        (await host.Rpc(other.Id, other.Secret).GetAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 10 })).Ok();
        // With no key left the API is off, and says where keys are made.
        await store.RevokeAsync(admin, other.Id);
        Assert.Contains("/api-keys", (await api.PostAsync("CreateProduct", new { ProductName = "Off", NodeType = 0 })).Refused(403, "Forbidden.NoAccessKey").Message);
        var listed = (await store.ListAsync(admin)).Single(k => k.Id == key.Id);
        Assert.Equal(("nightly rollout script", ApiRole.Full, admin.Name), (listed.Name, listed.Role, listed.CreatedBy));
        Assert.NotNull(listed.RevokedAt);
        await using var db = host.Db();
        Assert.Equal(["key.create", "key.create", "key.revoke", "key.revoke"], await db.AuditEntries.Where(a => a.Action.StartsWith("key.")).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
        // The script's write is audited as the key's.
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "product.create" && a.ActorName == key.Id && a.ActorKind == ActorKind.ApiKey));
    }

    [Fact]
    public async Task A_key_s_secret_is_encrypted_in_the_database_with_keys_kept_outside_it()
    {
        await using var host = await ConsoleHost.StartAsync();
        var key = await host.Services.GetRequiredService<ApiKeyStore>().CreateAsync(host.AdminActor(), "ci", ApiRole.ReadOnly);

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(host.Folder, "ota.db")};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ProtectedSecret FROM ApiKeys";
        var stored = (string)(await command.ExecuteScalarAsync())!;
        Assert.DoesNotContain(key.Secret, stored);
        Assert.True(stored.Length > key.Secret.Length);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(host.Folder, "keys"), "*.xml"));
        // And the database file holds the secret nowhere.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = await File.ReadAllBytesAsync(Path.Combine(host.Folder, "ota.db"));
        Assert.DoesNotContain(key.Secret, System.Text.Encoding.Latin1.GetString(bytes));
    }

    [Fact]
    public async Task Only_an_admin_makes_or_revokes_keys()
    {
        await using var host = await ConsoleHost.StartAsync();
        var store = host.Services.GetRequiredService<ApiKeyStore>();
        var ops = new Actor(ActorKind.Operator, "ops", "ops@console.test", OperatorRole.Operator);
        var made = await store.CreateAsync(host.AdminActor(), "kept", ApiRole.Full);

        Assert.Equal(OtaErrorKind.Forbidden, (await Assert.ThrowsAsync<OtaException>(() => store.CreateAsync(ops, "mine", ApiRole.Full))).Kind);
        Assert.Equal(OtaErrorKind.Forbidden, (await Assert.ThrowsAsync<OtaException>(() => store.RevokeAsync(ops, made.Id))).Kind);
        Assert.Equal(OtaErrorKind.Forbidden, (await Assert.ThrowsAsync<OtaException>(() => store.ListAsync(ops))).Kind);
        await Assert.ThrowsAsync<OtaValidationException>(() => store.CreateAsync(host.AdminActor(), "", ApiRole.Full));

        (await host.Rpc(made.Id, made.Secret).GetAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 10 })).Ok();
    }
}
