using OtaConsole.Core.Security;
using System.Security.Cryptography;
using OtaConsole.Core.Model;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>Update packages through the API: upload tickets and the upload itself, create, query, list, delete.</summary>
public sealed class ApiFirmwareTests : ApiTestBase
{
    protected override Dictionary<string, string?> Settings => new(ConsoleHost.ApiKeys()) { ["Ota:MaxPackageFileMegabytes"] = "1" };

    protected override Task SetUpAsync() => C.ProductAsync();

    private static byte[] Firmware(int size = 4096) => RandomNumberGenerator.GetBytes(size);

    private async Task<string> UploadedAsync(byte[] content)
    {
        var (url, status) = await Api.UploadAsync(content);
        Assert.Equal(200, status);
        return url;
    }

    private Task<RpcAnswer> CreateAsync(string url, string name = "fw-2", object? extra = null) =>
        Api.PostAsync("CreateOTAFirmware", AlibabaRpc.With(new { ProductKey = ConsoleHost.ProductKey, FirmwareName = name, DestVersion = "2.0.0", FirmwareUrl = url }, extra));

    [Fact]
    public async Task An_uploaded_file_becomes_a_package_whose_size_and_MD5_are_the_files()
    {
        var content = Firmware();
        var url = await UploadedAsync(content);
        var md5 = Convert.ToHexStringLower(MD5.HashData(content));

        var created = (await CreateAsync(url, extra: new { FirmwareSign = md5, FirmwareSize = content.Length, FirmwareDesc = "fixes", Udi = "{\"k\":1}" })).Ok().Data;

        var package = (await C.Packages.FindAsync(Actor.System, created.GetProperty("FirmwareId").GetString()!))!;
        Assert.Equal(content.Length, package.TotalSize);
        Assert.Equal(md5, package.Sign);
        Assert.Equal("fixes", package.Description);
        Assert.Equal("{\"k\":1}", package.Udi);
        Assert.Equal(PackageStatus.Unverified, package.Status);
        Assert.Equal(created.GetProperty("UtcCreate").GetString(), Core.Api.ApiNames.Utc(package.CreatedAt));
    }

    [Fact]
    public async Task QueryOTAFirmware_answers_every_field_with_a_download_link_that_serves_the_file()
    {
        var content = Firmware();
        var id = (await CreateAsync(await UploadedAsync(content), extra: new { NeedToVerify = false })).Ok().Data.GetProperty("FirmwareId").GetString()!;

        var info = (await Api.GetAsync("QueryOTAFirmware", new { FirmwareId = id })).Ok()["FirmwareInfo"];

        Assert.Equal("fw-2", info.GetProperty("FirmwareName").GetString());
        Assert.Equal("2.0.0", info.GetProperty("DestVersion").GetString());
        Assert.Equal(-1, info.GetProperty("Status").GetInt32());
        Assert.Equal(0, info.GetProperty("Type").GetInt32());
        Assert.Equal("MD5", info.GetProperty("SignMethod").GetString());
        Assert.Equal("default", info.GetProperty("ModuleName").GetString());
        Assert.Equal("Test product", info.GetProperty("ProductName").GetString());
        Assert.Equal(content.Length, info.GetProperty("FirmwareSize").GetInt64());
        Assert.Equal(content, await C.Http.GetByteArrayAsync(info.GetProperty("FirmwareUrl").GetString()));
        (await Api.GetAsync("QueryOTAFirmware", new { FirmwareId = "nope" })).Refused(404, "FirmwareNotFound");
        (await Api.GetAsync("QueryOTAFirmware")).Refused(400, "MissingFirmwareId");
    }

    [Fact]
    public async Task A_package_of_several_files_is_created_from_MultiFiles()
    {
        var a = Firmware(1000);
        var b = Firmware(2000);
        var files = new[]
        {
            new { Name = "boot.bin", Url = await UploadedAsync(a), Size = a.Length, SignValue = Convert.ToHexStringLower(MD5.HashData(a)) },
            new { Name = "app.bin", Url = await UploadedAsync(b), Size = b.Length, SignValue = Convert.ToHexStringLower(MD5.HashData(b)) },
        };

        var id = (await Api.PostAsync("CreateOTAFirmware", new { ProductKey = ConsoleHost.ProductKey, FirmwareName = "multi", DestVersion = "2.0.0", MultiFiles = files }))
            .Ok().Data.GetProperty("FirmwareId").GetString()!;

        var info = (await Api.GetAsync("QueryOTAFirmware", new { FirmwareId = id })).Ok()["FirmwareInfo"];
        var listed = info.GetProperty("MultiFiles").EnumerateArray().ToList();
        Assert.Equal(["boot.bin", "app.bin"], listed.Select(f => f.GetProperty("Name").GetString()));
        Assert.Equal(b, await C.Http.GetByteArrayAsync(listed[1].GetProperty("Url").GetString()));
    }

    [Fact]
    public async Task CreateOTAFirmware_takes_only_files_uploaded_here_and_checks_what_the_caller_says_of_them()
    {
        var content = Firmware();
        var url = await UploadedAsync(content);

        (await CreateAsync("http://example.com/fw.bin")).Refused(400, "InvalidFirmwareUrl");
        (await CreateAsync(url.Replace(url[^10..], "0000000.bin", StringComparison.Ordinal))).Refused(400, "InvalidFirmwareUrl");
        (await CreateAsync(url, extra: new { FirmwareSize = content.Length + 1 })).Refused(400, "InvalidFirmwareSize");
        Assert.Equal(400, (await CreateAsync(url, extra: new { FirmwareSign = new string('0', 32) })).Status);
        (await Api.PostAsync("CreateOTAFirmware", new { ProductKey = ConsoleHost.ProductKey, FirmwareName = "x", DestVersion = "2.0.0" })).Refused(400, "MissingFirmwareUrl");
        Assert.Empty(await C.Packages.ListAsync(Actor.System));

        (await CreateAsync(url)).Ok();
        // The upload became the package; it cannot be used twice.
        (await CreateAsync(url, name: "again")).Refused(400, "InvalidFirmwareUrl");
    }

    [Fact]
    public async Task An_upload_with_an_altered_policy_or_key_or_an_expired_ticket_is_refused_and_nothing_is_kept()
    {
        var content = Firmware();
        var (badSignature, status1) = await Api.UploadAsync(content, tamper: f => f["Signature"] = Convert.ToBase64String(new byte[20]));
        var (otherKey, status2) = await Api.UploadAsync(content, tamper: f => f["key"] = "ota/" + new string('a', 32) + ".bin");
        var (badSuffix, status3) = await Api.UploadAsync(content, tamper: f => f["key"] = f["key"] + "/../../x");

        Assert.Equal([403, 403, 403], new[] { status1, status2, status3 });
        foreach (var url in new[] { badSignature, otherKey, badSuffix })
            (await CreateAsync(url)).Refused(400, "InvalidFirmwareUrl");
        Assert.Empty(Directory.Exists(Path.Combine(C.Folder, "uploads")) ? Directory.GetFiles(Path.Combine(C.Folder, "uploads")) : []);

        var ticketed = await Api.PostAsync("GenerateOTAUploadURL");
        C.Time.Advance(TimeSpan.FromHours(2));
        using var form = new MultipartFormDataContent
        {
            { new StringContent(ticketed.Data.GetProperty("Key").GetString()!), "key" },
            { new StringContent(ticketed.Data.GetProperty("Policy").GetString()!), "policy" },
            { new StringContent(ticketed.Data.GetProperty("Signature").GetString()!), "Signature" },
            { new ByteArrayContent(content), "file", "fw.bin" },
        };
        using var expired = await C.Http.PostAsync(ticketed.Data.GetProperty("Host").GetString(), form);
        Assert.Equal(403, (int)expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_upload_larger_than_the_limit_is_refused_and_the_console_goes_on()
    {
        var (url, status) = await Api.UploadAsync(Firmware(1024 * 1024 + 1));

        Assert.Equal(413, status);
        (await CreateAsync(url)).Refused(400, "InvalidFirmwareUrl");
        (await CreateAsync(await UploadedAsync(Firmware()))).Ok();
    }

    [Fact]
    public async Task An_upload_answers_as_OSS_does_for_success_action_status()
    {
        var (_, created) = await Api.UploadAsync(Firmware(), tamper: f => f["success_action_status"] = "201");
        var (_, none) = await Api.UploadAsync(Firmware(), tamper: f => f.Remove("success_action_status"));

        Assert.Equal(201, created);
        Assert.Equal(204, none);
    }

    [Fact]
    public async Task GenerateOTAUploadURL_answers_an_OSS_style_ticket_and_refuses_an_unknown_suffix()
    {
        var ticket = (await Api.PostAsync("GenerateOTAUploadURL", new { FileSuffix = "tar.gz" })).Ok().Data;

        Assert.Equal("OSS", ticket.GetProperty("ObjectStorage").GetString());
        Assert.Matches(@"^ota/[0-9a-f]{32}\.tar\.gz$", ticket.GetProperty("Key").GetString());
        Assert.Equal(C.BaseUrl + "/api/uploads", ticket.GetProperty("Host").GetString());
        Assert.Equal(ticket.GetProperty("Host").GetString() + "/" + ticket.GetProperty("Key").GetString(), ticket.GetProperty("FirmwareUrl").GetString());
        (await Api.PostAsync("GenerateOTAUploadURL", new { FileSuffix = "exe" })).Refused(400, "InvalidFileSuffix");
    }

    [Fact]
    public async Task ListOTAFirmware_pages_packages_newest_first_filtered_by_product_and_version()
    {
        for (var i = 0; i < 3; i++)
        {
            (await CreateAsync(await UploadedAsync(Firmware()), name: $"fw-{i}", extra: new { DestVersion = i == 2 ? "3.0.0" : "2.0.0" })).Ok();
            C.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var page = (await Api.GetAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 2, ProductKey = ConsoleHost.ProductKey })).Ok();
        var byVersion = (await Api.GetAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 10, DestVersion = "2.0.0" })).Ok();

        Assert.Equal(3, page["Total"].GetInt32());
        Assert.Equal(2, page["PageCount"].GetInt32());
        Assert.Equal(["fw-2", "fw-1"], page["FirmwareInfo"].GetProperty("SimpleFirmwareInfo").EnumerateArray().Select(f => f.GetProperty("FirmwareName").GetString()));
        Assert.Equal(2, byVersion["Total"].GetInt32());
        (await Api.GetAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 101 })).Refused(400, "InvalidPageSize");
        (await Api.GetAsync("ListOTAFirmware", new { PageSize = 10 })).Refused(400, "MissingCurrentPage");
    }

    [Fact]
    public async Task DeleteOTAFirmware_deletes_a_package_and_refuses_one_with_a_running_batch()
    {
        var id = (await CreateAsync(await UploadedAsync(Firmware()), extra: new { NeedToVerify = false })).Ok().Data.GetProperty("FirmwareId").GetString()!;
        var busyId = (await CreateAsync(await UploadedAsync(Firmware()), name: "busy", extra: new { NeedToVerify = false })).Ok().Data.GetProperty("FirmwareId").GetString()!;
        await C.ReportedDevicesAsync(1);
        (await Api.PostAsync("CreateOTAStaticUpgradeJob", new { FirmwareId = busyId, ProductKey = ConsoleHost.ProductKey, TargetSelection = "ALL" })).Ok();

        (await Api.PostAsync("DeleteOTAFirmware", new { FirmwareId = id })).Ok();
        Assert.Equal(400, (await Api.PostAsync("DeleteOTAFirmware", new { FirmwareId = busyId })).Status);

        Assert.Null(await C.Packages.FindAsync(Actor.System, id));
        Assert.NotNull(await C.Packages.FindAsync(Actor.System, busyId));
        (await Api.PostAsync("DeleteOTAFirmware", new { FirmwareId = id })).Refused(404, "FirmwareNotFound");
    }
}
