using OtaConsole.Core.Model;

namespace OtaConsole.Core.Mqtt;

/// <summary>What an uplink topic is for.</summary>
public enum AlinkTopicKind
{
    /// <summary>/ota/device/inform/pk/dn: a version report.</summary>
    Inform,
    /// <summary>/ota/device/progress/pk/dn: a progress report.</summary>
    Progress,
    /// <summary>/sys/pk/dn/thing/ota/firmware/get: the device asks for its package.</summary>
    FirmwareGet,
    /// <summary>/sys/pk/dn/thing/file/download: MQTT download block request.</summary>
    FileDownload,
    /// <summary>Any other /sys/pk/dn/… topic of the device's own (deviceinfo, config, …): allowed, not for OTA.</summary>
    OtherSys,
}

public readonly record struct AlinkTopic(AlinkTopicKind Kind, DeviceKey Device);

/// <summary>The Alink OTA topics (reference §2.1), and which of them a device may use.</summary>
public static class AlinkTopics
{
    public static string Upgrade(DeviceKey d) => $"/ota/device/upgrade/{d.ProductKey}/{d.DeviceName}";
    public static string LegacyRequest(DeviceKey d) => $"/ota/device/request/{d.ProductKey}/{d.DeviceName}";
    public static string Inform(DeviceKey d) => $"/ota/device/inform/{d.ProductKey}/{d.DeviceName}";
    public static string Progress(DeviceKey d) => $"/ota/device/progress/{d.ProductKey}/{d.DeviceName}";
    public static string FirmwareGet(DeviceKey d) => Sys(d, "thing/ota/firmware/get");
    public static string FirmwareGetReply(DeviceKey d) => Sys(d, "thing/ota/firmware/get_reply");
    public static string ConfigPush(DeviceKey d) => Sys(d, "thing/config/push");
    public static string ConfigGetReply(DeviceKey d) => Sys(d, "thing/config/get_reply");
    public static string FileDownload(DeviceKey d) => Sys(d, "thing/file/download");
    public static string FileDownloadReply(DeviceKey d) => Sys(d, "thing/file/download_reply");

    /// <summary>Topics the server subscribes every device to on connect (reference §7.2: _ss=1 asks for it; C SDK 3.0.1 needs it after a restart).</summary>
    public static IReadOnlyList<string> ServerSubscriptions(DeviceKey d) =>
        [Upgrade(d), FirmwareGetReply(d), ConfigPush(d), ConfigGetReply(d), FileDownloadReply(d)];

    /// <summary>The filters the console subscribes to in external mode; "+" stands for any product or device.</summary>
    public static readonly IReadOnlyList<string> UplinkFilters =
        ["/ota/device/inform/+/+", "/ota/device/progress/+/+", "/sys/+/+/thing/ota/firmware/get", "/sys/+/+/thing/file/download"];

    private static string Sys(DeviceKey d, string rest) => $"/sys/{d.ProductKey}/{d.DeviceName}/{rest}";

    /// <summary>Reads an uplink topic of any device; false for anything that is not one.</summary>
    public static bool TryParse(string? topic, out AlinkTopic result)
    {
        result = default;
        if (string.IsNullOrEmpty(topic) || topic.Length > 256)
            return false;
        var parts = topic.Split('/');
        // "/ota/device/{inform|progress}/pk/dn" splits into "", ota, device, kind, pk, dn.
        if (parts.Length == 6 && parts[0] == "" && parts[1] == "ota" && parts[2] == "device")
        {
            AlinkTopicKind? kind = parts[3] switch { "inform" => AlinkTopicKind.Inform, "progress" => AlinkTopicKind.Progress, _ => null };
            if (kind is null || !IsName(parts[4]) || !IsName(parts[5]))
                return false;
            result = new AlinkTopic(kind.Value, new DeviceKey(parts[4], parts[5]));
            return true;
        }
        if (parts.Length >= 5 && parts[0] == "" && parts[1] == "sys" && IsName(parts[2]) && IsName(parts[3]))
        {
            var rest = string.Join('/', parts[4..]);
            var kind = rest switch
            {
                "thing/ota/firmware/get" => AlinkTopicKind.FirmwareGet,
                "thing/file/download" => AlinkTopicKind.FileDownload,
                _ => AlinkTopicKind.OtherSys,
            };
            result = new AlinkTopic(kind, new DeviceKey(parts[2], parts[3]));
            return true;
        }
        return false;
    }

    /// <summary>The device a downlink upgrade topic (/ota/device/upgrade/pk/dn) is for.</summary>
    public static bool TryParseUpgrade(string? topic, out DeviceKey device)
    {
        device = default;
        const string prefix = "/ota/device/upgrade/";
        if (topic is null || !topic.StartsWith(prefix, StringComparison.Ordinal))
            return false;
        var parts = topic[prefix.Length..].Split('/');
        if (parts.Length != 2 || !IsName(parts[0]) || !IsName(parts[1]))
            return false;
        device = new DeviceKey(parts[0], parts[1]);
        return true;
    }

    /// <summary>A device may publish to its own inform, progress and /sys topics only.</summary>
    public static bool MayPublish(DeviceKey device, string topic) => TryParse(topic, out var t) && MayPublish(device, t, topic);

    /// <summary>The same rule for a topic already parsed: the receive path parses each topic once.</summary>
    public static bool MayPublish(DeviceKey device, AlinkTopic parsed, string topic) =>
        parsed.Device == device && !topic.Contains('+', StringComparison.Ordinal) && !topic.Contains('#', StringComparison.Ordinal);

    /// <summary>
    /// A device may subscribe to its own downlink topics: upgrade, the legacy request topic, and its /sys
    /// subtree (a '#' below its own name is fine; a wildcard in place of its product or name is not).
    /// </summary>
    public static bool MaySubscribe(DeviceKey device, string filter)
    {
        if (string.IsNullOrEmpty(filter))
            return false;
        if (filter == Upgrade(device) || filter == LegacyRequest(device))
            return true;
        var prefix = $"/sys/{device.ProductKey}/{device.DeviceName}/";
        return filter.StartsWith(prefix, StringComparison.Ordinal) && filter.Length > prefix.Length;
    }

    // Product keys and device names never hold MQTT wildcards or separators (NameRules); anything else is not a device.
    private static bool IsName(string s) => s.Length is > 0 and <= 64 && !s.Contains('+', StringComparison.Ordinal) && !s.Contains('#', StringComparison.Ordinal);
}
