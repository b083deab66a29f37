using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Mqtt;

/// <summary>One block request of an MQTT download (thing/file/download).</summary>
public sealed record FileBlockRequest(DeviceKey Device, string RawId, string Token, long StreamId, long FileId, int Size, long Offset);

/// <summary>
/// Alibaba's MQTT download, as Link SDK 4.x speaks it (aiot_mqtt_download_api.c). The request is JSON with a
/// trailing comma the SDK always writes ("fileId":1,}). The reply is binary: a 2-byte big-endian header length,
/// the compact JSON header, the block, and the block's CRC-16/ARC low byte first. The SDK reads header values
/// right after the colon, so the header must have no spaces.
/// </summary>
public static class MqttDownloadCodec
{
    /// <summary>The largest block we send (the SDK asks for 5 KB by default; QuecPython documents up to 128 KB).</summary>
    public const int MaxBlock = 128 * 1024;

    private static readonly JsonDocumentOptions Lenient = new() { MaxDepth = 8, AllowTrailingCommas = true, AllowDuplicateProperties = false };

    public static FileBlockRequest? DecodeRequest(DeviceKey device, ReadOnlySequence<byte> payload) =>
        payload.Length <= 4096 && AlinkCodec.TryRead(payload, Lenient, root => Read(device, root), out var request) ? request : null;

    private static FileBlockRequest? Read(DeviceKey device, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("params", out var p) || p.ValueKind != JsonValueKind.Object
            || !p.TryGetProperty("fileInfo", out var info) || info.ValueKind != JsonValueKind.Object
            || !p.TryGetProperty("fileBlock", out var block) || block.ValueKind != JsonValueKind.Object)
            return null;
        var token = p.TryGetProperty("fileToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "default";
        if (token.Length > 127 || token.Any(char.IsControl)
            || !Number(info, "streamId", out var stream) || !Number(info, "fileId", out var file)
            || !Number(block, "size", out var size) || !Number(block, "offset", out var offset)
            || size is < 1 or > MaxBlock || offset < 0)
            return null;
        var id = AlinkCodec.RawId(root, missing: "\"0\"");
        return new FileBlockRequest(device, id, token, stream, file, (int)size, offset);
    }

    /// <summary>A uint32 as a JSON number or a string of digits.</summary>
    private static bool Number(JsonElement o, string name, out long value)
    {
        value = 0;
        if (!o.TryGetProperty(name, out var e))
            return false;
        return e.ValueKind switch
        {
            JsonValueKind.Number => e.TryGetInt64(out value) && value is >= 0 and <= uint.MaxValue,
            JsonValueKind.String => long.TryParse(e.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value) && value <= uint.MaxValue,
            _ => false,
        };
    }

    public static byte[] EncodeReply(FileBlockRequest request, long fileLength, ReadOnlySpan<byte> block)
    {
        var header = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            w.WritePropertyName("id");
            w.WriteRawValue(request.RawId);
            w.WriteNumber("code", 200);
            w.WriteString("msg", "success");
            w.WriteStartObject("data");
            w.WriteString("fileToken", request.Token);
            w.WriteNumber("fileLength", fileLength);
            w.WriteNumber("bSize", block.Length);
            w.WriteNumber("bOffset", request.Offset);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        var reply = new byte[2 + header.WrittenCount + block.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(reply, (ushort)header.WrittenCount);
        header.WrittenSpan.CopyTo(reply.AsSpan(2));
        block.CopyTo(reply.AsSpan(2 + header.WrittenCount));
        BinaryPrimitives.WriteUInt16LittleEndian(reply.AsSpan(reply.Length - 2), Crc16Arc(block));
        return reply;
    }

    /// <summary>Reads a reply back into its header and block, checking the frame and the CRC (for simulated devices and tests).</summary>
    public static (JsonElement Data, byte[] Block)? DecodeReply(byte[] payload)
    {
        if (payload.Length < 4)
            return null;
        var headerLength = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (payload.Length < 2 + headerLength + 2)
            return null;
        using var doc = JsonDocument.Parse(payload.AsMemory(2, headerLength));
        var data = doc.RootElement.GetProperty("data").Clone();
        var size = data.GetProperty("bSize").GetInt32();
        if (payload.Length != 2 + headerLength + size + 2)
            return null;
        var block = payload.AsSpan(2 + headerLength, size).ToArray();
        return BinaryPrimitives.ReadUInt16LittleEndian(payload.AsSpan(payload.Length - 2)) == Crc16Arc(block) ? (data, block) : null;
    }

    /// <summary>CRC-16/ARC (the SDK's crc_ibm): polynomial 0x8005 reflected, initial value 0, no final XOR.</summary>
    public static ushort Crc16Arc(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
                crc = (crc & 1) != 0 ? (ushort)((crc >> 1) ^ 0xA001) : (ushort)(crc >> 1);
        }
        return crc;
    }
}
