using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using OtaConsole.Core.Api;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>Bad input to the API and its uploads gets a 4xx in the right envelope, never a 500, an error log or a huge echo.</summary>
public sealed class ApiBadInputTests : ApiTestBase
{
    protected override Dictionary<string, string?> Settings => new(ConsoleHost.ApiKeys()) { ["Ota:MaxPackageFileMegabytes"] = "1" };

    protected override async Task SetUpAsync()
    {
        await C.ProductAsync();
        await C.ReportedDevicesAsync(2);
    }

    private static ApiParameters P(params (string Name, string Value)[] values) => new(values.ToDictionary(v => v.Name, v => v.Value));

    [Theory]
    [InlineData("TargetDeviceName.01")]
    [InlineData("TargetDeviceName.001")]
    [InlineData("TargetDeviceName.00")]
    public void A_list_number_with_leading_zeros_is_refused_with_the_lists_name(string name)
    {
        var e = Assert.Throws<ApiException>(() => P((name, "dev-000")).List("TargetDeviceName", 200));
        Assert.Equal("InvalidTargetDeviceName", e.Code);
        Assert.StartsWith("InvalidTag", Assert.Throws<ApiException>(() => P(("Tag.01.Key", "k"), ("Tag.01.Value", "v")).Tags()).Code);
        Assert.StartsWith("InvalidMultiFiles", Assert.Throws<ApiException>(() => P(("MultiFiles.01.Url", "u")).Items("MultiFiles", "Url")).Code);
    }

    [Fact]
    public async Task A_job_naming_devices_as_TargetDeviceName_01_is_refused_with_400_not_500()
    {
        var package = await C.PackageAsync();
        var answer = await Api.PostAsync("CreateOTAStaticUpgradeJob", new Dictionary<string, object?>
        {
            ["FirmwareId"] = package.Id, ["ProductKey"] = ConsoleHost.ProductKey, ["TargetSelection"] = "SPECIFIC", ["TargetDeviceName.01"] = "dev-000",
        });
        answer.Refused(400, "InvalidTargetDeviceName");
        Assert.Empty(C.Logs.Errors);
    }

    [Fact]
    public void A_huge_page_number_skips_every_item_rather_than_wrapping_around()
    {
        Assert.Equal(int.MaxValue, OtaConsole.Core.Queries.Paging.Skip(int.MaxValue, 100));
        Assert.Equal(int.MaxValue, OtaConsole.Core.Queries.Paging.Skip(int.MaxValue - 1, 500));
        Assert.Equal(200, OtaConsole.Core.Queries.Paging.Skip(2, 100));
    }

    [Fact]
    public async Task CurrentPage_2147483647_answers_an_empty_page()
    {
        (await C.Rpc().PostAsync("CreateOTAModule", new { ProductKey = ConsoleHost.ProductKey, ModuleName = "wifi" })).Ok();
        await C.PackageAsync();

        var firmware = (await Api.GetAsync("ListOTAFirmware", new { CurrentPage = int.MaxValue, PageSize = 100 })).Ok();
        var devices = (await Api.GetAsync("QueryDevice", new { ProductKey = ConsoleHost.ProductKey, PageSize = 50, CurrentPage = int.MaxValue })).Ok();
        var versions = (await Api.GetAsync("ListOTAModuleVersionsByDevice", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-000", CurrentPage = int.MaxValue, PageSize = 200 })).Ok();

        Assert.Equal(1, firmware["Total"].GetInt32());
        Assert.Equal(0, firmware["FirmwareInfo"].GetProperty("SimpleFirmwareInfo").GetArrayLength());
        Assert.Equal(2, devices["Total"].GetInt32());
        Assert.Equal(0, devices.Data.GetProperty("DeviceInfo").GetArrayLength());
        Assert.Equal(0, versions.Data.GetProperty("SimpleOTAModuleInfo").GetArrayLength());
    }

    [Fact]
    public async Task A_wrong_signature_on_a_huge_request_answers_a_short_message()
    {
        var p = C.Rpc(ConsoleHost.FullKeyId, "not-the-secret").Signed("POST", "ListOTAFirmware", new { CurrentPage = 1, PageSize = 10, Junk = new string('x', 900_000) });
        var answer = (await Api.SendAsync("POST", p)).Refused(400, "SignatureDoesNotMatch");

        Assert.Contains("POST&%2F&AccessKeyId%3D", answer.Message);
        Assert.True(answer.Body.Length < 2000, $"{answer.Body.Length} characters");
    }

    [Fact]
    public async Task No_refusal_echoes_more_than_a_few_hundred_characters_of_what_it_was_sent()
    {
        // Under the API's 1 MB body limit, and names under ASP.NET's 2 KB, so each reaches the code that answers it.
        var huge = new string('é', 50_000);
        var longName = new string('x', 1000);
        var package = await C.PackageAsync();
        Dictionary<string, object?> Job(params (string Name, string Value)[] extra)
        {
            var p = new Dictionary<string, object?> { ["FirmwareId"] = package.Id, ["ProductKey"] = ConsoleHost.ProductKey, ["TargetSelection"] = "ALL" };
            foreach (var (name, value) in extra)
                p[name] = value;
            return p;
        }
        var answers = new List<RpcAnswer>
        {
            await Api.PostAsync(huge),
            await Api.SendAsync("POST", Api.Signed("POST", "ListOTAFirmware", beforeSigning: p => p["SignatureMethod"] = huge)),
            await Api.SendAsync("POST", Api.Signed("POST", "ListOTAFirmware", beforeSigning: p => p["Version"] = huge)),
            await Api.SendAsync("POST", Api.Signed("POST", "ListOTAFirmware", beforeSigning: p => p["Format"] = huge)),
            await Api.SendAsync("POST", Api.Signed("POST", "ListOTAFirmware", beforeSigning: p => p["SignatureVersion"] = huge)),
            await Api.SendAsync("POST", Api.Signed("POST", "ListOTAFirmware", beforeSigning: p => p["AccessKeyId"] = huge)),
            await Api.SendAsync("POST", Api.Signed("POST", "ListOTAFirmware", beforeSigning: p => p["Timestamp"] = huge)),
            await Api.PostAsync("QueryDeviceDetail", new { ProductKey = ConsoleHost.ProductKey, DeviceName = huge }),
            await Api.PostAsync("QueryOTAFirmware", new { FirmwareId = huge }),
            await Api.PostAsync("CreateOTAModule", new { ProductKey = huge, ModuleName = huge }),
            await Api.PostAsync("CreateOTAStaticUpgradeJob", Job(("SrcVersion." + longName, "x"))),
            await Api.PostAsync("CreateOTAStaticUpgradeJob", Job(("Tag." + longName + ".Key", "x"), ("Tag." + longName + ".Value", "v"))),
            await Api.PostAsync("CreateOTAStaticUpgradeJob", Job(("SrcVersion.1", huge))),
            await Api.PostAsync("CreateOTAStaticUpgradeJob", Job(("Tag.1.Key", huge), ("Tag.1.Value", huge))),
        };
        foreach (var a in answers)
        {
            Assert.InRange(a.Status, 400, 499);
            Assert.True(a.Body.Length < 2000, $"HTTP {a.Status}, {a.Body.Length} characters: {a.Body[..Math.Min(300, a.Body.Length)]}");
        }
        Assert.Empty(C.Logs.Errors);
    }

    [Fact]
    public async Task QueryDeviceDetail_answers_the_node_type_the_product_was_created_with()
    {
        var gateway = (await Api.PostAsync("CreateProduct", new { ProductName = "Gateways", NodeType = 1 })).Ok()["ProductKey"].GetString()!;
        (await Api.PostAsync("RegisterDevice", new { ProductKey = gateway, DeviceName = "gw-0001" })).Ok();
        (await Api.PostAsync("RegisterDevice", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "plain-001" })).Ok();

        Assert.Equal(1, (await Api.GetAsync("QueryDeviceDetail", new { ProductKey = gateway, DeviceName = "gw-0001" })).Ok().Data.GetProperty("NodeType").GetInt32());
        Assert.Equal(0, (await Api.GetAsync("QueryDeviceDetail", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "plain-001" })).Ok().Data.GetProperty("NodeType").GetInt32());
    }

    // ---- uploads ----

    private async Task<Dictionary<string, string>> TicketAsync()
    {
        var t = (await Api.PostAsync("GenerateOTAUploadURL")).Ok().Data;
        return new()
        {
            ["Host"] = t.GetProperty("Host").GetString()!,
            ["key"] = t.GetProperty("Key").GetString()!,
            ["policy"] = t.GetProperty("Policy").GetString()!,
            ["Signature"] = t.GetProperty("Signature").GetString()!,
        };
    }

    private async Task<(int Status, string Body)> PostRawAsync(string host, string contentType, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await C.Http.PostAsync(host, content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Field(string boundary, string name, string value) =>
        $"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n";

    private static void AssertOssRefusal((int Status, string Body) answer)
    {
        Assert.True(answer.Status is >= 400 and < 500, $"HTTP {answer.Status}: {answer.Body[..Math.Min(300, answer.Body.Length)]}");
        Assert.StartsWith("<?xml", answer.Body);
        Assert.Contains("<Error><Code>", answer.Body);
        Assert.True(answer.Body.Length < 2000, $"{answer.Body.Length} characters");
    }

    [Fact]
    public async Task Malformed_upload_forms_get_an_OSS_error_never_a_500()
    {
        var t = await TicketAsync();
        const string b = "XyZbOuNdArY";
        var fields = Field(b, "key", t["key"]) + Field(b, "policy", t["policy"]) + Field(b, "Signature", t["Signature"]);
        var cases = new (string ContentType, string Body)[]
        {
            ($"multipart/form-data; boundary={new string('b', 5000)}", Field(new string('b', 5000), "key", t["key"])),
            ($"multipart/form-data; boundary={b}", ""),
            ($"multipart/form-data; boundary={b}", $"--{b}--\r\n"),
            ($"multipart/form-data; boundary={b}", fields + $"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fw.bin\"\r\n\r\nfirmware bytes, no closing boundary"),
            ($"multipart/form-data; boundary={b}", fields[..(fields.Length / 2)]),
            ($"multipart/form-data; boundary={b}", $"--{b}\r\nContent-Disposition: form-data; name=\"key\"\r\n"),
            ($"multipart/form-data; boundary={b}", "garbage without any boundary at all"),
            ($"multipart/form-data; boundary={b}", $"--{b}\r\nno headers here\r\n\r\nvalue\r\n--{b}--\r\n"),
        };
        foreach (var (type, body) in cases)
            AssertOssRefusal(await PostRawAsync(t["Host"], type, Encoding.UTF8.GetBytes(body)));
        Assert.Empty(C.Logs.Errors);
    }

    [Fact]
    public async Task An_upload_with_a_bad_signature_is_refused_before_the_fields_that_follow_it_are_read()
    {
        var t = await TicketAsync();
        const string b = "XyZbOuNdArY";
        var body = Field(b, "key", t["key"]) + Field(b, "policy", t["policy"]) + Field(b, "Signature", Convert.ToBase64String(new byte[20]))
            + Field(b, "x-oss-meta-big", new string('x', 100_000)) + $"--{b}--\r\n";

        var answer = await PostRawAsync(t["Host"], $"multipart/form-data; boundary={b}", Encoding.UTF8.GetBytes(body));

        Assert.Equal(403, answer.Status);
        Assert.Contains("AccessDenied", answer.Body);
    }

    [Fact]
    public async Task An_upload_form_with_many_fields_before_its_ticket_is_refused()
    {
        var t = await TicketAsync();
        const string b = "XyZbOuNdArY";
        var junk = string.Concat(Enumerable.Range(0, 1000).Select(i => Field(b, $"x-oss-meta-{i}", "v")));
        var body = junk + Field(b, "key", t["key"]) + Field(b, "policy", t["policy"]) + Field(b, "Signature", t["Signature"])
            + $"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fw.bin\"\r\n\r\nfirmware\r\n--{b}--\r\n";

        var answer = await PostRawAsync(t["Host"], $"multipart/form-data; boundary={b}", Encoding.UTF8.GetBytes(body));

        AssertOssRefusal(answer);
        Assert.Contains("fields", answer.Body);
    }
}
