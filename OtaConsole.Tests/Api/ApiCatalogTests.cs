using OtaConsole.Core.Security;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Model;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>Products, devices and OTA modules through the API, checked against what the catalog holds.</summary>
public sealed class ApiCatalogTests : ApiTestBase
{
    [Fact]
    public async Task CreateProduct_makes_a_product_with_its_default_module_and_can_keep_an_Alibaba_ProductKey()
    {
        var generated = (await Api.PostAsync("CreateProduct", new { ProductName = "Lamp", NodeType = 0 })).Ok();
        var kept = (await Api.PostAsync("CreateProduct", new { ProductName = "Meter", NodeType = 0, ProductKey = "a1KeptKey01" })).Ok();

        var key = generated["ProductKey"].GetString()!;
        Assert.Equal(key, generated.Data.GetProperty("ProductKey").GetString());
        Assert.Equal("Lamp", generated.Data.GetProperty("ProductName").GetString());
        Assert.Equal("Lamp", (await C.Catalog.FindProductAsync(Actor.System, key))!.Name);
        Assert.Equal("a1KeptKey01", kept["ProductKey"].GetString());
        Assert.Contains(await C.Catalog.ListModulesAsync(Actor.System, "a1KeptKey01"), m => m.ModuleName == OtaModule.Default);
    }

    [Fact]
    public async Task CreateProduct_names_what_is_missing_or_wrong()
    {
        (await Api.PostAsync("CreateProduct", new { NodeType = 0 })).Refused(400, "MissingProductName");
        (await Api.PostAsync("CreateProduct", new { ProductName = "Lamp" })).Refused(400, "MissingNodeType");
        (await Api.PostAsync("CreateProduct", new { ProductName = "Lamp", NodeType = 7 })).Refused(400, "InvalidNodeType");
        Assert.Empty(await C.Catalog.ListProductsAsync(Actor.System));
    }

    [Fact]
    public async Task RegisterDevice_returns_the_secret_the_device_signs_in_with()
    {
        await C.ProductAsync();
        var named = (await Api.PostAsync("RegisterDevice", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "lamp-01", Nickname = "Hall" })).Ok().Data;
        var unnamed = (await Api.PostAsync("RegisterDevice", new { ProductKey = ConsoleHost.ProductKey })).Ok().Data;

        var device = (await C.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "lamp-01"))!;
        Assert.Equal(device.DeviceSecret, named.GetProperty("DeviceSecret").GetString());
        Assert.Equal(device.IotId, named.GetProperty("IotId").GetString());
        Assert.Equal("Hall", named.GetProperty("Nickname").GetString());
        Assert.Equal(20, unnamed.GetProperty("DeviceName").GetString()!.Length);
        Assert.NotNull(await C.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, unnamed.GetProperty("DeviceName").GetString()!));
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("ab")]
    [InlineData("灯灯灯灯")]
    [InlineData("x/../../etc")]
    public async Task RegisterDevice_refuses_a_name_with_odd_characters_and_registers_nothing(string name)
    {
        await C.ProductAsync();
        var answer = await Api.PostAsync("RegisterDevice", new { ProductKey = ConsoleHost.ProductKey, DeviceName = name });
        Assert.Equal(400, answer.Status);
        Assert.Contains("DeviceName", answer.Code);
        Assert.Equal(0, (await C.Services.GetRequiredService<OtaConsole.Core.Queries.DeviceQueries>().ListAsync(Actor.System, ConsoleHost.ProductKey, null, null, 0, 10)).Total);
    }

    [Fact]
    public async Task QueryDeviceDetail_finds_a_device_by_IotId_or_by_name_and_reports_its_default_module_version()
    {
        await C.ProductAsync();
        await C.ReportedDevicesAsync(1, version: "1.4.2");
        var device = (await C.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!;

        var byName = (await Api.GetAsync("QueryDeviceDetail", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-000" })).Ok().Data;
        var byIotId = (await Api.GetAsync("QueryDeviceDetail", new { device.IotId })).Ok().Data;

        Assert.Equal(byName.GetRawText(), byIotId.GetRawText());
        Assert.Equal("1.4.2", byName.GetProperty("FirmwareVersion").GetString());
        Assert.Equal("ONLINE", byName.GetProperty("Status").GetString());
        Assert.Equal(device.DeviceSecret, byName.GetProperty("DeviceSecret").GetString());
        Assert.Equal("Test product", byName.GetProperty("ProductName").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", byName.GetProperty("UtcCreate").GetString());
        (await Api.GetAsync("QueryDeviceDetail", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "nobody" })).Refused(404, "DeviceNotFound");
        (await Api.GetAsync("QueryDeviceDetail")).Refused(400, "MissingIotId");
    }

    [Fact]
    public async Task A_read_only_key_reads_devices_without_their_secrets_and_its_writes_are_refused_and_audited()
    {
        await C.ProductAsync();
        await C.ReportedDevicesAsync(1);
        var readOnly = C.Rpc(ConsoleHost.ReadOnlyKeyId, ConsoleHost.ReadOnlyKeySecret);

        var detail = (await readOnly.GetAsync("QueryDeviceDetail", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-000" })).Ok().Data;
        Assert.True(!detail.TryGetProperty("DeviceSecret", out var s) || s.ValueKind == JsonValueKind.Null, detail.GetRawText());
        var list = (await readOnly.GetAsync("QueryDevice", new { ProductKey = ConsoleHost.ProductKey })).Ok().Data.GetProperty("DeviceInfo")[0];
        Assert.True(!list.TryGetProperty("DeviceSecret", out var s2) || s2.ValueKind == JsonValueKind.Null, list.GetRawText());
        // The Full key still gets them: it may register devices and hand out their secrets.
        var full = (await Api.GetAsync("QueryDeviceDetail", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-000" })).Ok().Data;
        Assert.False(string.IsNullOrEmpty(full.GetProperty("DeviceSecret").GetString()));

        (await readOnly.PostAsync("CreateProduct", new { ProductName = "Nope", NodeType = 0 })).Refused(403, "Forbidden.RAM");
        (await Api.PostAsync("CreateProduct", new { ProductName = "Kept", NodeType = 0 })).Ok();
        await using var db = C.Db();
        var rows = db.AuditEntries.Where(a => a.ActorKind == Core.Security.ActorKind.ApiKey).OrderBy(a => a.Id).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(("api.CreateProduct", ConsoleHost.ReadOnlyKeyId, false), (rows[0].Action, rows[0].ActorName, rows[0].Succeeded));
        Assert.Equal(("product.create", ConsoleHost.FullKeyId, Core.Security.ActorKind.ApiKey, true), (rows[1].Action, rows[1].ActorName, rows[1].ActorKind, rows[1].Succeeded));
        Assert.Equal("127.0.0.1", rows[1].Address);
    }

    [Fact]
    public async Task QueryDevice_pages_a_products_devices_newest_first_with_at_most_50_a_page()
    {
        await C.ProductAsync();
        await C.ReportedDevicesAsync(12);

        var first = (await Api.GetAsync("QueryDevice", new { ProductKey = ConsoleHost.ProductKey, PageSize = 5 })).Ok();
        var last = (await Api.GetAsync("QueryDevice", new { ProductKey = ConsoleHost.ProductKey, PageSize = 5, CurrentPage = 3 })).Ok();

        Assert.Equal(12, first["Total"].GetInt32());
        Assert.Equal(3, first["PageCount"].GetInt32());
        Assert.Equal(1, first["Page"].GetInt32());
        Assert.Equal(["dev-011", "dev-010", "dev-009", "dev-008", "dev-007"], Names(first.Data.GetProperty("DeviceInfo")));
        Assert.Equal(["dev-001", "dev-000"], Names(last.Data.GetProperty("DeviceInfo")));
        Assert.Equal(10, (await Api.GetAsync("QueryDevice", new { ProductKey = ConsoleHost.ProductKey })).Ok().Data.GetProperty("DeviceInfo").GetArrayLength());
        (await Api.GetAsync("QueryDevice", new { ProductKey = ConsoleHost.ProductKey, PageSize = 51 })).Refused(400, "InvalidPageSize");
    }

    [Fact]
    public async Task OTA_modules_are_created_changed_listed_and_deleted()
    {
        await C.ProductAsync();
        (await Api.PostAsync("CreateOTAModule", new { ProductKey = ConsoleHost.ProductKey, ModuleName = "wifi", AliasName = "Wi-Fi", Desc = "radio" })).Ok();
        (await Api.PostAsync("UpdateOTAModule", new { ProductKey = ConsoleHost.ProductKey, ModuleName = "wifi", AliasName = "WLAN", Desc = "the radio" })).Ok();

        var modules = (await Api.GetAsync("ListOTAModuleByProduct", new { ProductKey = ConsoleHost.ProductKey })).Ok().Data;
        var wifi = modules.EnumerateArray().Single(m => m.GetProperty("ModuleName").GetString() == "wifi");
        Assert.Equal("WLAN", wifi.GetProperty("AliasName").GetString());
        Assert.Equal("the radio", wifi.GetProperty("Desc").GetString());
        Assert.Matches(@"^\w{3}, \d\d-\w{3}-\d{4} \d\d:\d\d:\d\d GMT$", wifi.GetProperty("GmtCreate").GetString());
        Assert.Equal(["MCU", "default", "wifi"], modules.EnumerateArray().Select(m => m.GetProperty("ModuleName").GetString()!).Order(StringComparer.Ordinal));

        (await Api.PostAsync("DeleteOTAModule", new { ProductKey = ConsoleHost.ProductKey, ModuleName = "wifi" })).Ok();
        Assert.DoesNotContain(await C.Catalog.ListModulesAsync(Actor.System, ConsoleHost.ProductKey), m => m.ModuleName == "wifi");
        Assert.Equal(400, (await Api.PostAsync("DeleteOTAModule", new { ProductKey = ConsoleHost.ProductKey, ModuleName = OtaModule.Default })).Status);
        Assert.Contains(await C.Catalog.ListModulesAsync(Actor.System, ConsoleHost.ProductKey), m => m.ModuleName == OtaModule.Default);
        (await Api.PostAsync("CreateOTAModule", new { ProductKey = ConsoleHost.ProductKey, ModuleName = "bad name!" })).Refused(400, "InvalidModuleName");
    }

    private static List<string> Names(JsonElement list) => list.EnumerateArray().Select(d => d.GetProperty("DeviceName").GetString()!).ToList();
}
