using System.Globalization;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Api;

/// <summary>The API's names for the model's values, both ways, and its time formats.</summary>
public static class ApiNames
{
    public static readonly IReadOnlyDictionary<string, OtaTaskStatus> TaskStatuses = new Dictionary<string, OtaTaskStatus>
    {
        ["CONFIRM"] = OtaTaskStatus.Confirm,
        ["QUEUED"] = OtaTaskStatus.Queued,
        ["NOTIFIED"] = OtaTaskStatus.Notified,
        ["IN_PROGRESS"] = OtaTaskStatus.InProgress,
        ["SUCCEEDED"] = OtaTaskStatus.Succeeded,
        ["FAILED"] = OtaTaskStatus.Failed,
        ["CANCELED"] = OtaTaskStatus.Canceled,
    };

    public static readonly IReadOnlyDictionary<string, TargetSelection> Targets = new Dictionary<string, TargetSelection>
    {
        ["ALL"] = TargetSelection.All,
        ["SPECIFIC"] = TargetSelection.Specific,
        ["GRAY"] = TargetSelection.Gray,
        ["GROUP"] = TargetSelection.Group,
    };

    public static readonly IReadOnlyDictionary<string, DownloadProtocol> Protocols = new Dictionary<string, DownloadProtocol>
    {
        ["HTTPS"] = DownloadProtocol.Https,
        ["MQTT"] = DownloadProtocol.Mqtt,
    };

    public static readonly IReadOnlyDictionary<string, SignMethod> SignMethods = new Dictionary<string, SignMethod>
    {
        ["MD5"] = SignMethod.Md5,
        ["SHA256"] = SignMethod.Sha256,
    };

    public static string Task(OtaTaskStatus s) => TaskStatuses.First(kv => kv.Value == s).Key;
    public static string Target(TargetSelection t) => Targets.First(kv => kv.Value == t).Key;
    public static string Protocol(DownloadProtocol p) => Protocols.First(kv => kv.Value == p).Key;
    public static string Sign(SignMethod m) => SignMethods.First(kv => kv.Value == m).Key;

    public static string Job(BatchStatus s) => s switch
    {
        BatchStatus.Planned => "PLANNED",
        BatchStatus.InProgress => "IN_PROGRESS",
        BatchStatus.Completed => "COMPLETED",
        BatchStatus.Paused => "PAUSED", // ours: Alibaba has no pause
        _ => "CANCELED",
    };

    /// <summary>
    /// JobType. Alibaba's QueryOTAJob and ListOTAJobByFirmware spell it VERFIY_FIRMWARE (reference §3.3); scripts
    /// compare against that spelling, so it is the one we send.
    /// </summary>
    public static string JobType(BatchKind k) => k == BatchKind.Verify ? "VERFIY_FIRMWARE" : "UPGRADE_FIRMWARE";

    public static string Selection(SelectionType s) => s == SelectionType.Dynamic ? "DYNAMIC" : "STATIC";

    /// <summary>UTC as Alibaba's Utc* fields: 2019-12-28T02:43:10.000Z.</summary>
    public static string? Utc(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Alibaba's Gmt* fields of modules and device lists: Wed, 20-Feb-2019 02:16:09 GMT.</summary>
    public static string? GmtCookie(DateTimeOffset? t) => t?.UtcDateTime.ToString("ddd, dd-MMM-yyyy HH:mm:ss 'GMT'", CultureInfo.InvariantCulture);

    /// <summary>Alibaba's Gmt* fields of QueryDeviceDetail: 2018-08-06 10:47:50 (UTC).</summary>
    public static string? GmtPlain(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
