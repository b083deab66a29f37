using System.Buffers;
using System.Text;
using System.Text.Json;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Tests.Mqtt;

/// <summary>The payloads real SDKs sent (device-captures.md) decode; malformed ones are dropped; notices come out exactly.</summary>
public sealed class AlinkCodecTests
{
    private static readonly DeviceKey Dev = new("a1PKtest001", "dev-c3");

    private static DeviceEvent? Decode(AlinkTopicKind kind, string json) => Decode(kind, Encoding.UTF8.GetBytes(json), out _);

    private static DeviceEvent? Decode(AlinkTopicKind kind, byte[] bytes, out DropReason reason) =>
        AlinkCodec.Decode(new AlinkTopic(kind, Dev), new ReadOnlySequence<byte>(bytes), out reason);

    [Theory]
    [InlineData("{\"id\":\"2\",\"params\":{\"version\":\"app-1.0.0-20180101.1000\"}}", "default", "app-1.0.0-20180101.1000")]
    [InlineData("{\"id\":0,\"params\":{\"version\":\"1.0.0\"}}", "default", "1.0.0")]
    [InlineData("{\"id\":1, \"params\":{\"version\":\"1.0.0\"}}", "default", "1.0.0")]
    [InlineData("{\"id\":11, \"params\":{\"version\":\"2.0.0\",\"module\":\"MCU\",\"extra\":[1,2]}}", "MCU", "2.0.0")]
    [InlineData("{\"params\":{\"version\":\"1.0.1\",\"module\":\"\"}}", "default", "1.0.1")]
    public void Version_reports_as_SDKs_send_them_are_read(string json, string module, string version) =>
        Assert.Equal(new VersionReported(Dev, module, version), Decode(AlinkTopicKind.Inform, json));

    [Theory]
    [InlineData("{\"id\":0,\"params\":{\"step\":\"0\",\"desc\":\"Enter in downloading state\"}}", null, 0, "Enter in downloading state")]
    [InlineData("{\"id\":0,\"params\":{\"step\":\"100\",\"desc\":\"\"}}", null, 100, "")]
    [InlineData("{\"id\":3, \"params\":{\"step\":\"16\",\"desc\":\"\",\"module\":\"default\"}}", "default", 16, "")]
    [InlineData("{\"id\":\"123\",\"params\":{\"step\":\"-1\",\"desc\":\"OTA升级失败，请求不到升级包信息。\",\"module\":\"MCU\"}}", "MCU", -1, "OTA升级失败，请求不到升级包信息。")]
    [InlineData("{\"id\":4,\"params\":{\"step\":-3}}", null, -3, null)]
    public void Progress_reports_as_SDKs_send_them_are_read(string json, string? module, int step, string? desc) =>
        Assert.Equal(new ProgressReported(Dev, module, step, desc), Decode(AlinkTopicKind.Progress, json));

    [Theory]
    [InlineData("{\"id\":2, \"params\":{}}", null, "2")]
    [InlineData("{ \"id\": \"123\", \"version\": \"1.0\", \"params\": { \"module\": \"MCU\" }, \"method\": \"thing.ota.firmware.get\" }", "MCU", "\"123\"")]
    [InlineData("{\"id\":7}", null, "7")]
    public void Firmware_requests_in_both_forms_are_read_and_keep_their_id(string json, string? module, string rawId) =>
        Assert.Equal(new FirmwareRequested(Dev, module, rawId), Decode(AlinkTopicKind.FirmwareGet, json));

    [Theory]
    [InlineData(AlinkTopicKind.Inform, "not json", DropReason.NotJson)]
    [InlineData(AlinkTopicKind.Inform, "{\"id\":1,\"params\":{\"version\":", DropReason.NotJson)]
    [InlineData(AlinkTopicKind.Inform, "[]", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Inform, "{\"id\":1}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Inform, "{\"params\":{\"version\":1.0}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Inform, "{\"params\":{\"version\":\"\"}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Inform, "{\"params\":{\"version\":\"1.0\",\"module\":\"a/b\"}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Inform, "{\"params\":{\"version\":\"1.0\",\"module\":5}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Progress, "{\"params\":{\"step\":\"abc\"}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Progress, "{\"params\":{\"step\":\"101\"}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Progress, "{\"params\":{\"step\":1.5}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Progress, "{\"params\":{\"step\":\"50\",\"desc\":{}}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.Progress, "{\"params\":{\"step\":true}}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.FirmwareGet, "{\"id\":1,\"params\":\"x\"}", DropReason.WrongShape)]
    [InlineData(AlinkTopicKind.FileDownload, "{\"id\":1}", DropReason.Unsupported)]
    public void Malformed_payloads_are_dropped_with_a_reason(AlinkTopicKind kind, string json, DropReason reason)
    {
        Assert.Null(Decode(kind, Encoding.UTF8.GetBytes(json), out var why));
        Assert.Equal(reason, why);
    }

    [Fact]
    public void Payloads_over_256_KB_are_dropped_unread()
    {
        var big = Encoding.UTF8.GetBytes("{\"params\":{\"version\":\"" + new string('x', 256 * 1024) + "\"}}");
        Assert.Null(Decode(AlinkTopicKind.Inform, big, out var why));
        Assert.Equal(DropReason.TooLarge, why);
    }

    [Fact]
    public void Deeply_nested_json_is_dropped()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);
        Assert.Null(Decode(AlinkTopicKind.Inform, Encoding.UTF8.GetBytes(deep), out var why));
        Assert.Equal(DropReason.NotJson, why);
    }

    private static UpdateNotice Notice(string module = "default", bool diff = false, SignMethod method = SignMethod.Md5, int files = 1,
        IReadOnlyList<BatchTag>? tags = null, string? udi = null, DownloadProtocol protocol = DownloadProtocol.Https) => new(
        1, Dev, "PKG1", module, "2.0.0", diff, method,
        Enumerable.Range(0, files).Select(i => new NoticeFile(i, $"fw{i}.bin", 12345 + i, "5acdcb753888da5b7ed5b71ecd39dc66", "ab" + new string('0', 62), method == SignMethod.Md5 ? "5acdcb753888da5b7ed5b71ecd39dc66" : "ab" + new string('0', 62), 40 + i)).ToList(),
        tags ?? [], udi, protocol, NoticeCause.Push);

    private static string Url(NoticeFile f) => $"http://127.0.0.1/fw-2.0.0.bin";

    [Fact]
    public void A_plain_notice_is_byte_for_byte_the_one_both_SDKs_accepted()
    {
        var json = Encoding.UTF8.GetString(AlinkCodec.EncodeNotice(Notice(), Url, 1507707025));
        Assert.Equal("{\"code\":\"1000\",\"data\":{\"size\":12345,\"sign\":\"5acdcb753888da5b7ed5b71ecd39dc66\",\"version\":\"2.0.0\",\"url\":\"http://127.0.0.1/fw-2.0.0.bin\",\"signMethod\":\"Md5\",\"md5\":\"5acdcb753888da5b7ed5b71ecd39dc66\"},\"id\":1507707025,\"message\":\"success\"}", json);
    }

    [Fact]
    public void A_notice_names_a_non_default_module_marks_a_diff_and_carries_tags_and_custom_info()
    {
        using var doc = JsonDocument.Parse(AlinkCodec.EncodeNotice(
            Notice("MCU", diff: true, method: SignMethod.Sha256, tags: [new BatchTag { Key = "k1", Value = "值" }], udi: "{\"ota_notice\":\"x\"}"), Url, 1));
        var data = doc.RootElement.GetProperty("data");
        Assert.Equal("MCU", data.GetProperty("module").GetString());
        Assert.Equal(1, data.GetProperty("isDiff").GetInt32());
        Assert.Equal("SHA256", data.GetProperty("signMethod").GetString());
        Assert.Equal("ab" + new string('0', 62), data.GetProperty("sign").GetString());
        Assert.Equal("5acdcb753888da5b7ed5b71ecd39dc66", data.GetProperty("md5").GetString());
        Assert.Equal("值", data.GetProperty("extData").GetProperty("k1").GetString());
        Assert.Equal("{\"ota_notice\":\"x\"}", data.GetProperty("extData").GetProperty("_package_udi").GetString());
    }

    [Fact]
    public void A_default_module_full_package_notice_omits_module_isDiff_and_extData()
    {
        using var doc = JsonDocument.Parse(AlinkCodec.EncodeNotice(Notice(), Url, 1));
        var data = doc.RootElement.GetProperty("data");
        Assert.False(data.TryGetProperty("module", out _));
        Assert.False(data.TryGetProperty("isDiff", out _));
        Assert.False(data.TryGetProperty("extData", out _));
    }

    [Fact]
    public void A_multi_file_notice_lists_every_file_with_both_digest_fields()
    {
        using var doc = JsonDocument.Parse(AlinkCodec.EncodeNotice(Notice(files: 3), f => $"http://h/{f.Index}", 1));
        var files = doc.RootElement.GetProperty("data").GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(3, files.Count);
        Assert.Equal(["fileName", "fileSize", "fileUrl", "fileSign", "fileMd5"], files[2].EnumerateObject().Select(p => p.Name));
        Assert.Equal("http://h/2", files[2].GetProperty("fileUrl").GetString());
        Assert.Equal("2.0.0", doc.RootElement.GetProperty("data").GetProperty("version").GetString());
    }

    [Fact]
    public void An_MQTT_download_notice_has_a_stream_and_no_url()
    {
        using var doc = JsonDocument.Parse(AlinkCodec.EncodeNotice(Notice(protocol: DownloadProtocol.Mqtt), Url, 1));
        var data = doc.RootElement.GetProperty("data");
        Assert.Equal("mqtt", data.GetProperty("dProtocol").GetString());
        Assert.Equal(40, data.GetProperty("streamId").GetInt64()); // the file's id
        Assert.Equal(1, data.GetProperty("streamFileId").GetInt32());
        Assert.False(data.TryGetProperty("url", out _));
    }

    [Fact]
    public void The_firmware_reply_echoes_the_request_id_with_code_200()
    {
        Assert.Equal("{\"id\":\"123\",\"code\":200,\"data\":{}}", Encoding.UTF8.GetString(AlinkCodec.EncodeFirmwareReply("\"123\"", null, Url)));
        using var doc = JsonDocument.Parse(AlinkCodec.EncodeFirmwareReply("2", Notice(), Url));
        Assert.Equal(2, doc.RootElement.GetProperty("id").GetInt32());
        Assert.Equal(200, doc.RootElement.GetProperty("code").GetInt32());
        Assert.Equal("http://127.0.0.1/fw-2.0.0.bin", doc.RootElement.GetProperty("data").GetProperty("url").GetString());
    }
}

/// <summary>MQTT download as Link SDK 4.x speaks it (aiot_mqtt_download_api.c).</summary>
public sealed class MqttDownloadCodecTests
{
    private static readonly DeviceKey Dev = new("a1PKtest001", "dev-l4");

    [Fact]
    public void The_SDKs_block_request_with_its_trailing_comma_is_read()
    {
        var json = "{\"id\":\"1\",\"version\":\"1.0\",\"params\":{\"fileToken\":\"default\",\"fileInfo\":{\"streamId\":1397345,\"fileId\":1,},\"fileBlock\":{\"size\":5120,\"offset\":10240}}}";
        var r = MqttDownloadCodec.DecodeRequest(Dev, new System.Buffers.ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(new FileBlockRequest(Dev, "\"1\"", "default", 1397345, 1, 5120, 10240), r);
    }

    [Theory]
    [InlineData("{\"params\":{\"fileInfo\":{\"streamId\":1,\"fileId\":1},\"fileBlock\":{\"size\":0,\"offset\":0}}}")]
    [InlineData("{\"params\":{\"fileInfo\":{\"streamId\":1,\"fileId\":1},\"fileBlock\":{\"size\":200000,\"offset\":0}}}")]
    [InlineData("{\"params\":{\"fileInfo\":{\"streamId\":1,\"fileId\":1},\"fileBlock\":{\"size\":10,\"offset\":-1}}}")]
    [InlineData("{\"params\":{\"fileInfo\":{\"streamId\":\"x\",\"fileId\":1},\"fileBlock\":{\"size\":10,\"offset\":0}}}")]
    [InlineData("{\"params\":{\"fileBlock\":{\"size\":10,\"offset\":0}}}")]
    [InlineData("not json")]
    public void Malformed_block_requests_are_refused(string json) =>
        Assert.Null(MqttDownloadCodec.DecodeRequest(Dev, new System.Buffers.ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json))));

    [Fact]
    public void The_CRC_is_CRC16_ARC() => Assert.Equal(0xBB3D, MqttDownloadCodec.Crc16Arc("123456789"u8));

    [Fact]
    public void A_reply_is_framed_as_the_SDK_checks_it()
    {
        var request = new FileBlockRequest(Dev, "\"7\"", "default", 3, 1, 5120, 5120);
        var block = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();

        var reply = MqttDownloadCodec.EncodeReply(request, 5420, block);

        var headerLength = (reply[0] << 8) | reply[1];
        var header = Encoding.UTF8.GetString(reply, 2, headerLength);
        Assert.Equal("{\"id\":\"7\",\"code\":200,\"msg\":\"success\",\"data\":{\"fileToken\":\"default\",\"fileLength\":5420,\"bSize\":300,\"bOffset\":5120}}", header);
        Assert.Equal(2 + headerLength + 300 + 2, reply.Length);
        var crc = MqttDownloadCodec.Crc16Arc(block);
        Assert.Equal((byte)(crc & 0xFF), reply[^2]); // low byte first, as the SDK reads it on little-endian MCUs
        Assert.Equal((byte)(crc >> 8), reply[^1]);
        Assert.Equal(block, MqttDownloadCodec.DecodeReply(reply)!.Value.Block);
        reply[^1] ^= 0xFF;
        Assert.Null(MqttDownloadCodec.DecodeReply(reply));
    }
}
