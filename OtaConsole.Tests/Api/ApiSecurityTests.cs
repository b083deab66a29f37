using System.Globalization;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Api;

/// <summary>
/// Who may call the API: every refusal answers Alibaba's code and HTTP status and changes nothing. The write used
/// is CreateOTAModule; that the module does not exist afterwards is the proof.
/// </summary>
public sealed class ApiSecurityTests : ApiTestBase
{
    protected override Task SetUpAsync() => C.ProductAsync();

    private static object NewModule => new { ProductKey = ConsoleHost.ProductKey, ModuleName = "wifi" };

    private async Task AssertNoModuleAsync() =>
        Assert.DoesNotContain(await C.Catalog.ListModulesAsync(Actor.System, ConsoleHost.ProductKey), m => m.ModuleName == "wifi");

    [Fact]
    public async Task A_signed_call_with_a_full_key_is_answered()
    {
        (await C.Rpc().PostAsync("CreateOTAModule", NewModule)).Ok();
        Assert.Contains(await C.Catalog.ListModulesAsync(Actor.System, ConsoleHost.ProductKey), m => m.ModuleName == "wifi");
    }

    [Fact]
    public async Task Without_any_key_configured_every_call_is_refused_and_the_answer_says_how_to_add_one()
    {
        await using var bare = await ConsoleHost.StartAsync();
        await bare.ProductAsync();

        var answer = (await bare.Rpc().GetAsync("ListOTAModuleByProduct", new { ProductKey = ConsoleHost.ProductKey })).Refused(403, "Forbidden.NoAccessKey");
        (await bare.Rpc().PostAsync("CreateOTAModule", NewModule)).Refused(403, "Forbidden.NoAccessKey");

        Assert.Contains("Ota:Api:AccessKeys", answer.Message);
        Assert.Contains("Ota__Api__AccessKeys__0__Id", answer.Message);
        Assert.DoesNotContain(await bare.Catalog.ListModulesAsync(Actor.System, ConsoleHost.ProductKey), m => m.ModuleName == "wifi");
    }

    [Fact]
    public async Task An_unknown_access_key_is_refused_with_404()
    {
        (await C.Rpc("LTAI-nobody", "whatever").PostAsync("CreateOTAModule", NewModule)).Refused(404, "InvalidAccessKeyId.NotFound");
        await AssertNoModuleAsync();
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_and_the_answer_shows_the_string_the_server_signed()
    {
        var answer = (await C.Rpc(ConsoleHost.FullKeyId, "not-the-secret").PostAsync("CreateOTAModule", NewModule)).Refused(400, "SignatureDoesNotMatch");
        Assert.Contains("POST&%2F&AccessKeyId%3D", answer.Message);
        await AssertNoModuleAsync();
    }

    [Fact]
    public async Task A_parameter_changed_after_signing_is_refused()
    {
        var rpc = C.Rpc();
        var p = rpc.Signed("POST", "CreateOTAModule", new { ProductKey = ConsoleHost.ProductKey, ModuleName = "wifj" });
        p["ModuleName"] = "wifi";
        (await rpc.SendAsync("POST", p)).Refused(400, "SignatureDoesNotMatch");
        await AssertNoModuleAsync();
    }

    [Fact]
    public async Task A_request_signed_for_GET_and_sent_as_POST_is_refused()
    {
        var rpc = C.Rpc();
        (await rpc.SendAsync("POST", rpc.Signed("GET", "CreateOTAModule", NewModule))).Refused(400, "SignatureDoesNotMatch");
        await AssertNoModuleAsync();
    }

    [Fact]
    public async Task A_replayed_request_is_refused_for_its_nonce_and_runs_only_once()
    {
        var rpc = C.Rpc();
        var p = rpc.Signed("POST", "CreateOTAModule", NewModule);
        (await rpc.SendAsync("POST", p)).Ok();
        await C.Catalog.DeleteModuleAsync(Actor.System, ConsoleHost.ProductKey, "wifi");

        (await rpc.SendAsync("POST", p)).Refused(400, "SignatureNonceUsed");
        await AssertNoModuleAsync();
    }

    [Theory]
    [InlineData(-16)]
    [InlineData(16)]
    [InlineData(-600)]
    public async Task A_timestamp_more_than_15_minutes_off_is_refused(int minutes)
    {
        var rpc = C.Rpc();
        var at = C.Time.GetUtcNow().AddMinutes(minutes).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var p = rpc.Signed("POST", "CreateOTAModule", NewModule, p => p["Timestamp"] = at);
        (await rpc.SendAsync("POST", p)).Refused(400, "InvalidTimeStamp.Expired");
        await AssertNoModuleAsync();
    }

    [Fact]
    public async Task A_timestamp_14_minutes_off_is_taken()
    {
        var rpc = C.Rpc();
        var at = C.Time.GetUtcNow().AddMinutes(-14).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        (await rpc.SendAsync("POST", rpc.Signed("POST", "CreateOTAModule", NewModule, p => p["Timestamp"] = at))).Ok();
    }

    [Fact]
    public async Task A_malformed_timestamp_is_refused()
    {
        var rpc = C.Rpc();
        (await rpc.SendAsync("GET", rpc.Signed("GET", "ListOTAModuleByProduct", new { ProductKey = ConsoleHost.ProductKey }, p => p["Timestamp"] = "yesterday")))
            .Refused(400, "InvalidTimeStamp.Format");
    }

    [Fact]
    public async Task A_read_only_key_may_read_but_not_write()
    {
        var rpc = C.Rpc(ConsoleHost.ReadOnlyKeyId, ConsoleHost.ReadOnlyKeySecret);
        (await rpc.GetAsync("ListOTAModuleByProduct", new { ProductKey = ConsoleHost.ProductKey })).Ok();
        var answer = (await rpc.PostAsync("CreateOTAModule", NewModule)).Refused(403, "Forbidden.RAM");
        Assert.Contains("read-only", answer.Message);
        await AssertNoModuleAsync();
    }

    [Theory]
    [InlineData("Signature", "MissingSignature")]
    [InlineData("SignatureNonce", "MissingSignatureNonce")]
    [InlineData("Timestamp", "MissingTimestamp")]
    [InlineData("AccessKeyId", "MissingAccessKeyId")]
    [InlineData("Version", "MissingVersion")]
    public async Task A_missing_common_parameter_is_named(string name, string code)
    {
        var rpc = C.Rpc();
        var p = rpc.Signed("POST", "CreateOTAModule", NewModule);
        p.Remove(name);
        (await rpc.SendAsync("POST", p)).Refused(400, code);
        await AssertNoModuleAsync();
    }

    [Fact]
    public async Task Another_API_version_or_signature_method_is_refused()
    {
        var rpc = C.Rpc();
        (await rpc.SendAsync("GET", rpc.Signed("GET", "ListOTAModuleByProduct", new { ProductKey = ConsoleHost.ProductKey }, p => p["Version"] = "2017-04-20")))
            .Refused(400, "InvalidVersion");
        (await rpc.SendAsync("GET", rpc.Signed("GET", "ListOTAModuleByProduct", new { ProductKey = ConsoleHost.ProductKey }, p => p["SignatureMethod"] = "HMAC-SHA256")))
            .Refused(400, "InvalidSignatureMethod");
    }

    [Fact]
    public async Task An_unknown_action_is_404()
    {
        (await C.Rpc().GetAsync("DeleteEverything")).Refused(404, "InvalidApi.NotFound");
    }

    [Fact]
    public async Task A_parameter_given_twice_is_refused_not_guessed_at()
    {
        var rpc = C.Rpc();
        var p = rpc.Signed("POST", "CreateOTAModule", NewModule).ToList();
        p.Add(new("ModuleName", "other"));
        (await rpc.SendAsync("POST", p)).Refused(400, "InvalidParameter");
        await AssertNoModuleAsync();
    }

    [Fact]
    public async Task ConfirmOTATask_is_taken_by_POST_only()
    {
        (await C.Rpc().GetAsync("ConfirmOTATask", new { TaskId = new[] { "1" } })).Refused(400, "UnsupportedHTTPMethod");
    }

    [Fact]
    public async Task A_body_that_is_not_a_form_is_refused_in_the_APIs_envelope()
    {
        using var content = new ByteArrayContent(new byte[2 * 1024 * 1024]);
        content.Headers.ContentType = new("application/x-www-form-urlencoded");
        using var response = await C.Http.PostAsync(C.BaseUrl + "/api/", content);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode is 400 or 413, body);
        Assert.Contains("\"Success\":false", body);
        Assert.Contains("\"RequestId\"", body);
    }
}
