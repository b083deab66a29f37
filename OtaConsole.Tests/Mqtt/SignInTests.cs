using MQTTnet;
using MQTTnet.Formatter;
using OtaConsole.Core.Devices;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Mqtt;

/// <summary>Real CONNECTs to the embedded broker, byte for byte as Alibaba's SDKs sent them (device-captures.md).</summary>
public sealed class SignInTests : IAsyncLifetime
{
    private const string Secret = "s3cr3tDeviceSecretValue0123456789";
    private ConsoleHost _c = null!;
    private readonly List<IMqttClient> _clients = [];

    public async ValueTask InitializeAsync()
    {
        _c = await ConsoleHost.StartAsync();
        await _c.Catalog.CreateProductAsync(Actor.System, "Captures", "a1PKtest001");
        foreach (var dn in new[] { "dev-c3", "dev-l4", "dev-node-001", "dev-node-256" })
            await _c.Catalog.RegisterDeviceAsync(Actor.System, "a1PKtest001", dn, Secret);
        // The documented check vector's device.
        await _c.Catalog.CreateProductAsync(Actor.System, "Vector", "pk");
        await _c.Catalog.RegisterDeviceAsync(Actor.System, "pk", "device", "secret");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
            c.Dispose();
        await _c.DisposeAsync();
    }

    private async Task<(MqttClientConnectResultCode Code, IMqttClient Client)> ConnectAsync(string clientId, string? username, string? password, int keepAlive = 60, bool clean = true)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        _clients.Add(client);
        var b = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _c.MqttPort).WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V311).WithKeepAlivePeriod(TimeSpan.FromSeconds(keepAlive)).WithCleanSession(clean);
        if (username is not null)
            b = b.WithCredentials(username, password);
        var result = await client.ConnectAsync(b.Build());
        return (result.ResultCode, client);
    }

    [Theory]
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,_v=sdk-c-3.0.1,securemode=3,signmethod=hmacsha256,lan=C,gw=0,ext=0|", "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3", 120, false)]
    [InlineData("a1PKtest001.dev-l4|timestamp=2524608000000,_ss=1,_v=sdk-c-4.1.0,securemode=3,signmethod=hmacsha256,ext=3,_conn=tls_1|", "dev-l4&a1PKtest001", "FB89814775A87365DBF8EE02DF1E526B9A55CCAA0DF758E023AF0B3687618065", 1200, true)]
    [InlineData("a1PKtest001&dev-node-001|securemode=3,signmethod=hmacsha1,timestamp=1795760011678,lan=NodeJS,_v=1.2.8|", "dev-node-001&a1PKtest001", "7a6e4222beefa8ae8eb84bfd7fc60537fdb3d365", 60, false)]
    [InlineData("a1PKtest001&dev-node-256|securemode=3,signmethod=hmacsha256,timestamp=1795760020250,lan=NodeJS,_v=1.2.8|", "dev-node-256&a1PKtest001", "a5fb327a05e24b4f3a91045f1dc5163825dde619", 60, false)]
    [InlineData("12345|securemode=3,signmethod=hmacsha1,timestamp=789|", "device&pk", "FAFD82A3D602B37FB0FA8B7892F24A477F851A14", 60, true)]
    public async Task Every_captured_SDK_CONNECT_and_the_check_vector_sign_in(string clientId, string username, string password, int keepAlive, bool clean)
    {
        var (code, _) = await ConnectAsync(clientId, username, password, keepAlive, clean);
        Assert.Equal(MqttClientConnectResultCode.Success, code);
        var key = AlibabaSignIn.ParseUsername(username)!.Value;
        await _c.UntilAsync(async () => (await _c.Catalog.FindDeviceAsync(Actor.System, key.ProductKey, key.DeviceName))!.IsOnline, online => online, "the device to be online", advanceClock: false);
    }

    [Theory]
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD4", MqttClientConnectResultCode.BadUserNameOrPassword)]
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "dev-c3&a1PKtest001", null, MqttClientConnectResultCode.BadUserNameOrPassword)]
    [InlineData("a1PKtest001.ghost|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "ghost-device&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3", MqttClientConnectResultCode.BadUserNameOrPassword)]
    [InlineData("a1PKtest001.dev-c3", "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3", MqttClientConnectResultCode.ClientIdentifierNotValid)]
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|", "not-a-username", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3", MqttClientConnectResultCode.BadUserNameOrPassword)]
    public async Task Wrong_credentials_are_refused_with_the_proper_CONNACK(string clientId, string? username, string? password, MqttClientConnectResultCode expected)
    {
        var refusedBefore = _c.Stats.ConnectsRefused;

        var (code, client) = await ConnectAsync(clientId, username, password ?? "");

        Assert.Equal(expected, code);
        Assert.False(client.IsConnected);
        Assert.Equal(refusedBefore + 1, _c.Stats.ConnectsRefused);
        Assert.False((await _c.Catalog.FindDeviceAsync(Actor.System, "a1PKtest001", "dev-c3"))!.IsOnline);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(1201)]
    public async Task A_keep_alive_outside_30_to_1200_seconds_is_refused(int keepAlive)
    {
        var (code, _) = await ConnectAsync("a1PKtest001.dev-c3|timestamp=2524608000000,_v=sdk-c-3.0.1,securemode=3,signmethod=hmacsha256,lan=C,gw=0,ext=0|",
            "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3", keepAlive);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, code);
    }

    [Fact]
    public async Task A_second_connection_of_the_same_device_replaces_the_first()
    {
        var (first, a) = await ConnectAsync("a1PKtest001&dev-node-001|securemode=3,signmethod=hmacsha1,timestamp=1795760011678,lan=NodeJS,_v=1.2.8|",
            "dev-node-001&a1PKtest001", "7a6e4222beefa8ae8eb84bfd7fc60537fdb3d365");
        Assert.Equal(MqttClientConnectResultCode.Success, first);
        var disconnected = new TaskCompletionSource();
        a.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };

        // The same device under another client id (the Node SDK puts the current time in it).
        var id2 = "a1PKtest001&dev-node-001|securemode=3,signmethod=hmacsha1,timestamp=1795760099999,lan=NodeJS,_v=1.2.8|";
        var pw2 = AlibabaSignIn.Sign("hmacsha1", Secret, AlibabaSignIn.SignedContent("a1PKtest001&dev-node-001", new("a1PKtest001", "dev-node-001"), "1795760099999"))!;
        var (second, b) = await ConnectAsync(id2, "dev-node-001&a1PKtest001", pw2);

        Assert.Equal(MqttClientConnectResultCode.Success, second);
        await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(b.IsConnected);
        await _c.DrainAsync();
        Assert.True((await _c.Catalog.FindDeviceAsync(Actor.System, "a1PKtest001", "dev-node-001"))!.IsOnline);
    }
}
