using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;

namespace OtaConsole.Tests.Devices;

/// <summary>Alibaba's sign-in, checked against the documented vector and the CONNECTs real SDKs sent (reference §1, §7.1, device-captures.md).</summary>
public sealed class AlibabaSignInTests
{
    private const string CaptureSecret = "s3cr3tDeviceSecretValue0123456789";

    [Fact]
    public void The_documented_check_vector_passes()
    {
        var content = AlibabaSignIn.SignedContent("12345", new DeviceKey("pk", "device"), "789");
        Assert.Equal("clientId12345deviceNamedeviceproductKeypktimestamp789", content);
        Assert.Equal("FAFD82A3D602B37FB0FA8B7892F24A477F851A14", AlibabaSignIn.Sign("hmacsha1", "secret", content));
    }

    [Theory]
    // C SDK 3.0.1
    [InlineData("a1PKtest001.dev-c3|timestamp=2524608000000,_v=sdk-c-3.0.1,securemode=3,signmethod=hmacsha256,lan=C,gw=0,ext=0|", "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD3", 120, false)]
    // Link SDK 4.1.0 (note _ss=1 and the trailing _conn key)
    [InlineData("a1PKtest001.dev-l4|timestamp=2524608000000,_ss=1,_v=sdk-c-4.1.0,securemode=3,signmethod=hmacsha256,ext=3,_conn=tls_1|", "dev-l4&a1PKtest001", "FB89814775A87365DBF8EE02DF1E526B9A55CCAA0DF758E023AF0B3687618065", 1200, true)]
    // Node SDK 1.2.8: lowercase hex HMAC-SHA1
    [InlineData("a1PKtest001&dev-node-001|securemode=3,signmethod=hmacsha1,timestamp=1795760011678,lan=NodeJS,_v=1.2.8|", "dev-node-001&a1PKtest001", "7a6e4222beefa8ae8eb84bfd7fc60537fdb3d365", 60, false)]
    // Node SDK 1.2.8 with signAlgorithm 'sha256': announces hmacsha256, sends HMAC-SHA1 (accepted on purpose)
    [InlineData("a1PKtest001&dev-node-256|securemode=3,signmethod=hmacsha256,timestamp=1795760020250,lan=NodeJS,_v=1.2.8|", "dev-node-256&a1PKtest001", "a5fb327a05e24b4f3a91045f1dc5163825dde619", 60, false)]
    public void The_CONNECTs_of_real_SDKs_sign_in(string clientId, string username, string password, int keepAlive, bool serverSubscribes)
    {
        var result = AlibabaSignIn.Check(clientId, username, password, keepAlive, _ => CaptureSecret, out var device, out var parsed);

        Assert.Equal(SignInFailure.None, result);
        Assert.Equal(username, $"{device.DeviceName}&{device.ProductKey}");
        Assert.Equal(serverSubscribes, parsed!.WantsServerSubscription);
    }

    [Fact]
    public void A_trailing_comma_before_the_bar_is_allowed()
    {
        var c = AlibabaSignIn.ParseClientId("pk.dn|timestamp=2524608000000,_ss=1,_v=sdk-c-4.0.0,securemode=2,signmethod=hmacsha256,ext=3,|");
        Assert.NotNull(c);
        Assert.Equal(("pk.dn", "hmacsha256", "2524608000000"), (c.Id, c.SignMethod, c.Timestamp));
    }

    [Theory]
    [InlineData("hmacmd5")]
    [InlineData("hmacsha1")]
    [InlineData("hmacsha256")]
    public void Every_sign_method_works_and_hex_case_does_not_matter(string method)
    {
        var device = new DeviceKey("a1PK", "dev-1");
        var sig = AlibabaSignIn.Sign(method, "sec", AlibabaSignIn.SignedContent("id9", device, null))!;
        foreach (var pw in new[] { sig, sig.ToLowerInvariant() })
            Assert.Equal(SignInFailure.None, AlibabaSignIn.Check($"id9|securemode=3,signmethod={method}|", "dev-1&a1PK", pw, 60, _ => "sec", out _, out _));
    }

    [Fact]
    public void Without_a_signmethod_the_default_is_hmacmd5()
    {
        var device = new DeviceKey("a1PK", "dev-1");
        var sig = AlibabaSignIn.Sign("hmacmd5", "sec", AlibabaSignIn.SignedContent("x", device, null))!;
        Assert.Equal(SignInFailure.None, AlibabaSignIn.Check("x|securemode=3|", "dev-1&a1PK", sig, 60, _ => "sec", out _, out _));
    }

    [Theory]
    [InlineData("no-bars", "dev-1&a1PK", "MalformedClientId")]
    [InlineData("id|securemode=3", "dev-1&a1PK", "MalformedClientId")]
    [InlineData("|securemode=3|", "dev-1&a1PK", "MalformedClientId")]
    [InlineData("id|novalue|", "dev-1&a1PK", "MalformedClientId")]
    [InlineData("id|a=1|b=2|", "dev-1&a1PK", "MalformedClientId")]
    [InlineData("id|securemode=3|", "dev-1a1PK", "BadCredentials")]
    [InlineData("id|securemode=3|", "dev-1&", "BadCredentials")]
    [InlineData("id|securemode=3|", "&a1PK", "BadCredentials")]
    [InlineData("id|securemode=3|", "dev-1&unknownPK", "BadCredentials")]
    [InlineData("id|securemode=3,signmethod=hmacsha512|", "dev-1&a1PK", "BadCredentials")]
    public void Malformed_ids_unknown_devices_and_unknown_methods_are_refused(string clientId, string username, string expected)
    {
        var result = AlibabaSignIn.Check(clientId, username, "00", 60, k => k.ProductKey == "a1PK" ? "sec" : null, out _, out _);
        Assert.Equal(expected, result.ToString());
    }

    [Fact]
    public void A_wrong_or_missing_password_is_refused()
    {
        const string id = "a1PKtest001.dev-c3|timestamp=2524608000000,securemode=3,signmethod=hmacsha256|";
        Assert.Equal(SignInFailure.BadCredentials, AlibabaSignIn.Check(id, "dev-c3&a1PKtest001", "43C5011C1F80FB4677E74E414EF74A256428114496F5AB0E46172A30FBEE1AD4", 120, _ => CaptureSecret, out _, out _));
        Assert.Equal(SignInFailure.BadCredentials, AlibabaSignIn.Check(id, "dev-c3&a1PKtest001", null, 120, _ => CaptureSecret, out _, out _));
        Assert.Equal(SignInFailure.BadCredentials, AlibabaSignIn.Check(id, "dev-c3&a1PKtest001", "", 120, _ => CaptureSecret, out _, out _));
        // The right password for another secret.
        var other = AlibabaSignIn.Sign("hmacsha256", "other", AlibabaSignIn.SignedContent("a1PKtest001.dev-c3", new DeviceKey("a1PKtest001", "dev-c3"), "2524608000000"));
        Assert.Equal(SignInFailure.BadCredentials, AlibabaSignIn.Check(id, "dev-c3&a1PKtest001", other, 120, _ => CaptureSecret, out _, out _));
    }

    [Theory]
    [InlineData(29, SignInFailure.BadKeepAlive)]
    [InlineData(30, SignInFailure.None)]
    [InlineData(1200, SignInFailure.None)]
    [InlineData(1201, SignInFailure.BadKeepAlive)]
    [InlineData(0, SignInFailure.BadKeepAlive)]
    public void Keep_alive_is_30_to_1200_seconds(int keepAlive, SignInFailure expected)
    {
        var device = new DeviceKey("a1PK", "dev-1");
        var sig = AlibabaSignIn.Sign("hmacsha1", "sec", AlibabaSignIn.SignedContent("i", device, null))!;
        Assert.Equal(expected, AlibabaSignIn.Check("i|signmethod=hmacsha1|", "dev-1&a1PK", sig, keepAlive, _ => "sec", out _, out _));
    }
}
