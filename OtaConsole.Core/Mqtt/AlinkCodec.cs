using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Mqtt;

/// <summary>Why an uplink message was dropped.</summary>
public enum DropReason
{
    TooLarge,
    NotJson,
    WrongShape,
    Unsupported,
    /// <summary>A queue was full (MQTT-download requests); the device asks again.</summary>
    Overloaded,
}

/// <summary>
/// The Alink OTA payloads. Lenient in (reference §7.5): ids as 0, a number or a string; steps as strings or
/// numbers; spaces; an optional module; unknown fields ignored. Exact out (§7.3): every notice carries what every
/// SDK generation checks: code "1000", message "success", size, version, url, md5, sign, signMethod Md5/SHA256.
/// </summary>
public static class AlinkCodec
{
    /// <summary>Alibaba's largest MQTT message (reference §1).</summary>
    public const int MaxPayloadBytes = 256 * 1024;
    public const int MaxDescLength = 256;

    // A repeated key is refused: which of two "step"s a device meant cannot be told.
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow, AllowDuplicateProperties = false };
    private static readonly JsonWriterOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads one uplink message into a device event; null with the reason when it must be dropped.</summary>
    public static DeviceEvent? Decode(AlinkTopic topic, ReadOnlySequence<byte> payload, out DropReason reason)
    {
        reason = default;
        if (payload.Length > MaxPayloadBytes)
        {
            reason = DropReason.TooLarge;
            return null;
        }
        if (!TryRead(payload, ReadOptions, root => topic.Kind switch
            {
                AlinkTopicKind.Inform => DecodeInform(topic.Device, root),
                AlinkTopicKind.Progress => DecodeProgress(topic.Device, root),
                AlinkTopicKind.FirmwareGet => DecodeFirmwareGet(topic.Device, root),
                _ => (DeviceEvent?)null,
            }, out var e))
        {
            reason = DropReason.NotJson;
            return null;
        }
        if (e is null)
            reason = topic.Kind is AlinkTopicKind.Inform or AlinkTopicKind.Progress or AlinkTopicKind.FirmwareGet ? DropReason.WrongShape : DropReason.Unsupported;
        return e;
    }

    /// <summary>
    /// Parses device JSON and reads it with <paramref name="read"/>; false when it is not JSON we can read: malformed,
    /// a repeated key (with options that refuse them), or text that is not valid UTF-8 or UTF-16 (invalid bytes, a lone
    /// \uD800), which JsonDocument accepts but refuses to turn into a string when it is read.
    /// </summary>
    internal static bool TryRead<T>(ReadOnlySequence<byte> payload, JsonDocumentOptions options, Func<JsonElement, T> read, out T value)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload, options);
            value = read(doc.RootElement);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    private static VersionReported? DecodeInform(DeviceKey device, JsonElement root)
    {
        if (!Params(root, out var p) || !p.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.String)
            return null;
        var version = v.GetString()!;
        if (version.Length is 0 or > 64 || version.Any(char.IsControl) || !TryModule(p, out var module))
            return null;
        return new VersionReported(device, DeviceEvent.ModuleOrDefault(module), version);
    }

    private static ProgressReported? DecodeProgress(DeviceKey device, JsonElement root)
    {
        if (!Params(root, out var p) || !p.TryGetProperty("step", out var s) || !TryModule(p, out var module))
            return null;
        int step;
        if (s.ValueKind == JsonValueKind.String)
        {
            if (!int.TryParse(s.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out step))
                return null;
        }
        else if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out step))
        {
            return null;
        }
        if (step is < -1000 or > 100)
            return null;
        string? desc = null;
        if (p.TryGetProperty("desc", out var d))
        {
            if (d.ValueKind == JsonValueKind.String)
                desc = Clean(d.GetString()!);
            else if (d.ValueKind != JsonValueKind.Null)
                return null;
        }
        return new ProgressReported(device, module, step, desc);
    }

    private static FirmwareRequested? DecodeFirmwareGet(DeviceKey device, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return null;
        string? module = null;
        if (root.TryGetProperty("params", out var p))
        {
            if (p.ValueKind == JsonValueKind.Object)
            {
                if (!TryModule(p, out module))
                    return null;
            }
            else if (p.ValueKind != JsonValueKind.Null)
            {
                return null;
            }
        }
        return new FirmwareRequested(device, module, RawId(root));
    }

    /// <summary>The request id as its JSON text (a number or a quoted string), echoed in the reply; <paramref name="missing"/> when absent.</summary>
    internal static string RawId(JsonElement root, string missing = "0") =>
        root.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.Number or JsonValueKind.String && id.GetRawText().Length <= 64
            ? id.GetRawText()
            : missing;

    private static bool Params(JsonElement root, out JsonElement p)
    {
        p = default;
        return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("params", out p) && p.ValueKind == JsonValueKind.Object;
    }

    /// <summary>An absent or null module is the default one; a present one must be a module name.</summary>
    private static bool TryModule(JsonElement p, out string? module)
    {
        module = null;
        if (!p.TryGetProperty("module", out var m) || m.ValueKind == JsonValueKind.Null)
            return true;
        if (m.ValueKind != JsonValueKind.String)
            return false;
        module = m.GetString();
        return module == "" || Validation.NameRules.IsModuleName(module);
    }

    private static string Clean(string s)
    {
        var text = new string(s.Where(ch => !char.IsControl(ch)).ToArray());
        return text.Length <= MaxDescLength ? text : text[..MaxDescLength];
    }

    /// <summary>The upgrade notice on /ota/device/upgrade/pk/dn.</summary>
    public static byte[] EncodeNotice(UpdateNotice notice, Func<NoticeFile, string> urlFor, long messageId)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriteOptions))
        {
            w.WriteStartObject();
            w.WriteString("code", "1000");
            w.WritePropertyName("data");
            WriteData(w, notice, urlFor);
            w.WriteNumber("id", messageId);
            w.WriteString("message", "success");
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The reply to thing/ota/firmware/get: code 200 and the pending notice's data, or an empty data object.</summary>
    public static byte[] EncodeFirmwareReply(string rawRequestId, UpdateNotice? notice, Func<NoticeFile, string> urlFor)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriteOptions))
        {
            w.WriteStartObject();
            w.WritePropertyName("id");
            w.WriteRawValue(rawRequestId);
            w.WriteNumber("code", 200);
            w.WritePropertyName("data");
            if (notice is null)
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            else
            {
                WriteData(w, notice, urlFor);
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Alibaba's signMethod spelling that every SDK generation accepts (reference §7.3).</summary>
    public static string SignMethodName(SignMethod m) => m == SignMethod.Sha256 ? "SHA256" : "Md5";

    private static void WriteData(Utf8JsonWriter w, UpdateNotice n, Func<NoticeFile, string> urlFor)
    {
        w.WriteStartObject();
        if (n.Files.Count == 1)
        {
            var f = n.Files[0];
            w.WriteNumber("size", f.Size);
            w.WriteString("sign", f.Sign);
            w.WriteString("version", n.Version);
            if (n.Protocol == DownloadProtocol.Mqtt)
            {
                w.WriteString("dProtocol", "mqtt");
                w.WriteNumber("streamId", f.FileId);
                w.WriteNumber("streamFileId", 1);
            }
            else
            {
                w.WriteString("url", urlFor(f));
            }
            w.WriteString("signMethod", SignMethodName(n.SignMethod));
            w.WriteString("md5", f.Md5);
        }
        else
        {
            // Multi-file (Link SDK 4.x): per-file fields in "files"; version, signMethod, module, extData stay here.
            w.WriteString("version", n.Version);
            w.WriteString("signMethod", SignMethodName(n.SignMethod));
            w.WriteStartArray("files");
            foreach (var f in n.Files)
            {
                w.WriteStartObject();
                w.WriteString("fileName", f.Name);
                w.WriteNumber("fileSize", f.Size);
                w.WriteString("fileUrl", urlFor(f));
                w.WriteString("fileSign", f.Sign);
                w.WriteString("fileMd5", f.Md5);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (n.ModuleName != OtaModule.Default)
            w.WriteString("module", n.ModuleName);
        if (n.IsDiff)
            w.WriteNumber("isDiff", 1);
        if (n.Tags.Count > 0 || n.Udi is not null)
        {
            w.WriteStartObject("extData");
            foreach (var t in n.Tags)
                w.WriteString(t.Key, t.Value);
            if (n.Udi is not null)
                w.WriteString("_package_udi", n.Udi);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
