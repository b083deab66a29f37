using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Mqtt;

/// <summary>
/// The console's sign-in and topic rules as EMQX's HTTP authenticator and authorizer call them: the same
/// captured CONNECTs and refusals as the embedded broker's <see cref="SignInTests"/>, posted as EMQX posts them.
/// </summary>
public sealed class EmqxHookTests : IAsyncLifetime
{
    private const string Secret = "s3cr3tDeviceSecretValue0123456789";
    private const string Token = "emqx-hook-token-0123456789";
    private ConsoleHost _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await ConsoleHost.StartAsync(new Dictionary<string, string?>
        {
            ["Ota:Mqtt:EmqxHookToken"] = Token,
            ["Ota:Mqtt:Username"] = "otaconsole",
            ["Ota:Mqtt:Password"] = "console-password",
        });
        await _c.Catalog.CreateProductAsync(Actor.System, "Captures", "a1PKtest001");
        foreach (var dn in new[] { "dev-c3", "dev-l4", "dev-node-001", "dev-node-256" })
            await _c.Catalog.RegisterDeviceAsync(Actor.System, "a1PKtest001", dn, Secret);
        await _c.Catalog.CreateProductAsync(Actor.System, "Vector", "pk");
        await _c.Catalog.RegisterDeviceAsync(Actor.System, "pk", "device", "secret");
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonObject? Body)> PostAsync(string path, object body, string? token = Token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _c.BaseUrl + path) { Content = JsonContent.Create(body) };
        if (token is not null)
            request.Headers.Authorization = new("Bearer", token);
        using var response = await _c.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null);
    }

    private async Task<string?> AuthenticateAsync(string clientId, string? username, string? password, int? keepAlive = null)
    {
        var (status, body) = await PostAsync("/mqtt/emqx/authenticate", new { clientid = clientId, username, password, keepalive = keepAlive?.ToString() });
        Assert.Equal(HttpStatusCode.OK, status);
        return (string?)body!["result"];
    }

    [Theory]
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,_v=sdk-c-3.0.1,securemode=3,signmethod=hmacsha256,lan=C,gw=0,ext=0|", "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3", 120)]
    [InlineData("a1PKtest001.dev-l4|timestamp=2524608000000,_ss=1,_v=sdk-c-4.1.0,securemode=3,signmethod=hmacsha256,ext=3,_conn=tls_1|", "dev-l4&a1PKtest001", "FB89814775A87365DBF8EE02DF1E526B9A55CCAA0DF758E023AF0B3687618065", 1200)]
    [InlineData("a1PKtest001&dev-node-001|securemode=3,signmethod=hmacsha1,timestamp=1795760011678,lan=NodeJS,_v=1.2.8|", "dev-node-001&a1PKtest001", "7a6e4222beefa8ae8eb84bfd7fc60537fdb3d365", 60)]
    [InlineData("a1PKtest001&dev-node-256|securemode=3,signmethod=hmacsha256,timestamp=1795760020250,lan=NodeJS,_v=1.2.8|", "dev-node-256&a1PKtest001", "a5fb327a05e24b4f3a91045f1dc5163825dde619", 60)]
    [InlineData("12345|securemode=3,signmethod=hmacsha1,timestamp=789|", "device&pk", "FAFD82A3D602B37FB0FA8B7892F24A477F851A14", 60)]
    public async Task Every_captured_SDK_CONNECT_and_the_check_vector_are_allowed(string clientId, string username, string password, int keepAlive)
    {
        Assert.Equal("allow", await AuthenticateAsync(clientId, username, password, keepAlive));
        Assert.Equal("allow", await AuthenticateAsync(clientId, username, password)); // EMQX sends no keep-alive by default
    }

    [Theory]
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD4")]
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "dev-c3&a1PKtest001", null)]
    [InlineData("a1PKtest001.ghost|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "ghost-device&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3")]
    [InlineData("a1PKtest001.dev-c3", "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3")]
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "not-a-username", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3")]
    public async Task Wrong_credentials_are_denied(string clientId, string? username, string? password)
    {
        Assert.Equal("deny", await AuthenticateAsync(clientId, username, password));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(1201)]
    public async Task A_keep_alive_outside_30_to_1200_seconds_is_denied_when_EMQX_sends_one(int keepAlive)
    {
        Assert.Equal("deny", await AuthenticateAsync("a1PKtest001.dev-c3|timestamp=2524608000000,_v=sdk-c-3.0.1,securemode=3,signmethod=hmacsha256,lan=C,gw=0,ext=0|",
            "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3", keepAlive));
    }

    [Fact]
    public async Task The_consoles_own_connection_is_a_superuser_and_only_with_its_password()
    {
        var (_, ok) = await PostAsync("/mqtt/emqx/authenticate", new { clientid = "otaconsole-1", username = "otaconsole", password = "console-password" });
        Assert.Equal(("allow", true), ((string?)ok!["result"], (bool)ok["is_superuser"]!));
        Assert.Equal("deny", await AuthenticateAsync("otaconsole-1", "otaconsole", "wrong"));
    }

    [Theory]
    [InlineData("publish", "/ota/device/inform/a1PKtest001/dev-c3", "allow")]
    [InlineData("publish", "/ota/device/progress/a1PKtest001/dev-c3", "allow")]
    [InlineData("publish", "/sys/a1PKtest001/dev-c3/thing/ota/firmware/get", "allow")]
    [InlineData("publish", "/ota/device/inform/a1PKtest001/dev-l4", "deny")] // another device's topic
    [InlineData("publish", "/ota/device/upgrade/a1PKtest001/dev-c3", "deny")] // a downlink
    [InlineData("publish", "/ota/device/inform/a1PKtest001/+", "deny")]
    [InlineData("subscribe", "/ota/device/upgrade/a1PKtest001/dev-c3", "allow")]
    [InlineData("subscribe", "/sys/a1PKtest001/dev-c3/#", "allow")]
    [InlineData("subscribe", "/ota/device/upgrade/a1PKtest001/+", "deny")]
    [InlineData("subscribe", "#", "deny")]
    [InlineData("retain", "/ota/device/inform/a1PKtest001/dev-c3", "deny")]
    public async Task A_device_may_use_its_own_topics_only(string action, string topic, string expected)
    {
        var (status, body) = await PostAsync("/mqtt/emqx/authorize", new { clientid = "a1PKtest001.dev-c3|securemode=3|", username = "dev-c3&a1PKtest001", topic, action });
        Assert.Equal((HttpStatusCode.OK, expected), (status, (string?)body!["result"]));
    }

    [Fact]
    public async Task The_console_may_publish_and_subscribe_anywhere()
    {
        var (_, body) = await PostAsync("/mqtt/emqx/authorize", new { clientid = "otaconsole-1", username = "otaconsole", topic = "/ota/device/upgrade/a1PKtest001/dev-c3", action = "publish" });
        Assert.Equal("allow", (string?)body!["result"]);
    }

    [Fact]
    public async Task Without_the_token_a_caller_gets_401_and_malformed_bodies_get_400()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync("/mqtt/emqx/authenticate", new { username = "dev-c3&a1PKtest001" }, token: null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync("/mqtt/emqx/authorize", new { username = "dev-c3&a1PKtest001" }, token: "wrong")).Status);
        foreach (var bad in new[] { "not json", "[1,2]", "\"a string\"", new string('x', 20_000) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _c.BaseUrl + "/mqtt/emqx/authenticate") { Content = new StringContent(bad) };
            request.Headers.Authorization = new("Bearer", Token);
            using var response = await _c.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    [Fact]
    public async Task Without_a_token_configured_the_hooks_answer_as_a_path_that_does_not_exist()
    {
        await using var plain = await ConsoleHost.StartAsync();
        using var hook = await plain.Http.PostAsync(plain.BaseUrl + "/mqtt/emqx/authenticate", JsonContent.Create(new { username = "x" }));
        using var nothing = await plain.Http.PostAsync(plain.BaseUrl + "/mqtt/emqx/no-such-hook", JsonContent.Create(new { username = "x" }));

        Assert.NotEqual(HttpStatusCode.OK, hook.StatusCode);
        Assert.Equal(nothing.StatusCode, hook.StatusCode);
        Assert.DoesNotContain("result", await hook.Content.ReadAsStringAsync());
    }
}
