using OtaConsole.Core.Api;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>The signature of reference §8, checked against vectors computed by hand and against Alibaba's published example.</summary>
public sealed class RpcSignatureTests
{
    [Fact]
    public void Alibabas_published_example_signs_to_its_published_signature()
    {
        // Alibaba's signature documentation: DescribeRegions, AccessKeySecret "testsecret".
        var p = new Dictionary<string, string>
        {
            ["Timestamp"] = "2016-02-23T12:46:24Z",
            ["Format"] = "XML",
            ["AccessKeyId"] = "testid",
            ["Action"] = "DescribeRegions",
            ["SignatureMethod"] = "HMAC-SHA1",
            ["SignatureNonce"] = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
            ["Version"] = "2014-05-26",
            ["SignatureVersion"] = "1.0",
        };
        const string expected = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
            + "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26";

        Assert.Equal(expected, RpcSignature.StringToSign("GET", p));
        Assert.Equal("OLeaidS1JvxuMvnyHOwuJ+uX5qY=", RpcSignature.Sign(expected, "testsecret"));
        Assert.Equal("OLeaidS1JvxuMvnyHOwuJ+uX5qY=", AlibabaRpc.Signature("GET", p, "testsecret"));
    }

    [Fact]
    public void A_POST_with_a_flattened_list_CJK_spaces_and_reserved_characters_signs_step_by_step()
    {
        var p = new Dictionary<string, string>
        {
            ["Action"] = "ListOTATaskByJob",
            ["Format"] = "JSON",
            ["Version"] = "2018-01-20",
            ["Timestamp"] = "2026-11-27T08:00:00Z",
            ["SignatureMethod"] = "HMAC-SHA1",
            ["SignatureVersion"] = "1.0",
            ["SignatureNonce"] = "n-1",
            ["AccessKeyId"] = "full-key",
            ["JobId"] = "J1",
            ["DeviceNames.1"] = "灯 1*", // 灯 is E7 81 AF in UTF-8; a space is %20, never +; * is %2A
            ["DeviceNames.2"] = "a~b!c", // ~ stays; ! is %21
            ["Signature"] = "ignored: never signed",
        };
        // 1. Sorted by name (ordinal), each name and value percent-encoded, joined with & and =.
        const string canonical = "AccessKeyId=full-key&Action=ListOTATaskByJob&DeviceNames.1=%E7%81%AF%201%2A&DeviceNames.2=a~b%21c&Format=JSON"
            + "&JobId=J1&SignatureMethod=HMAC-SHA1&SignatureNonce=n-1&SignatureVersion=1.0&Timestamp=2026-11-27T08%3A00%3A00Z&Version=2018-01-20";
        // 2. METHOD & encode("/") & encode(canonical): every % of step 1 becomes %25.
        const string stringToSign = "POST&%2F&AccessKeyId%3Dfull-key%26Action%3DListOTATaskByJob%26DeviceNames.1%3D%25E7%2581%25AF%25201%252A"
            + "%26DeviceNames.2%3Da~b%2521c%26Format%3DJSON%26JobId%3DJ1%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dn-1"
            + "%26SignatureVersion%3D1.0%26Timestamp%3D2026-11-27T08%253A00%253A00Z%26Version%3D2018-01-20";
        // 3. base64(HMAC-SHA1("full-secret&", string to sign)), computed apart with Python's hmac module.
        const string signature = "MDqwkT4N4UBuwLfWMHalN7aZubw=";

        Assert.Equal(stringToSign, RpcSignature.StringToSign("POST", p));
        Assert.Equal(stringToSign, "POST&%2F&" + RpcSignature.Encode(canonical));
        Assert.Equal(signature, RpcSignature.Sign(stringToSign, "full-secret"));
        Assert.Equal(signature, AlibabaRpc.Signature("POST", p, "full-secret"));
    }

    [Theory]
    [InlineData("AZaz09-_.~", "AZaz09-_.~")]
    [InlineData("!'()*", "%21%27%28%29%2A")]
    [InlineData("a b+c/d=e&f", "a%20b%2Bc%2Fd%3De%26f")]
    [InlineData("é", "%C3%A9")]
    public void Percent_encoding_keeps_only_the_unreserved_characters_and_writes_upper_case_hex(string value, string encoded)
    {
        Assert.Equal(encoded, RpcSignature.Encode(value));
        Assert.Equal(encoded, AlibabaRpc.Encode(value));
    }

    [Fact]
    public void The_method_is_part_of_what_is_signed()
    {
        var p = new Dictionary<string, string> { ["Action"] = "QueryOTAJob", ["JobId"] = "J1" };
        Assert.NotEqual(RpcSignature.Sign(RpcSignature.StringToSign("GET", p), "s"), RpcSignature.Sign(RpcSignature.StringToSign("POST", p), "s"));
    }
}
