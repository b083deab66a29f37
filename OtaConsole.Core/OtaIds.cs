using System.Security.Cryptography;

namespace OtaConsole.Core;

/// <summary>Random identifiers in the shapes Alibaba uses, so scripts that store them need no change.</summary>
public static class OtaIds
{
    private const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string NewProductKey() => "a1" + RandomNumberGenerator.GetString(Alphanumeric, 9);
    public static string NewDeviceSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    /// <summary>A device name like Alibaba generates when none is given: 20 letters and digits.</summary>
    public static string NewDeviceName() => RandomNumberGenerator.GetString(Alphanumeric, 20);
    public static string NewIotId() => RandomNumberGenerator.GetString(Alphanumeric, 20) + "000100";
    public static string NewJobId() => RandomNumberGenerator.GetString(Alphanumeric, 22) + "02";
    public static string NewFirmwareId() => RandomNumberGenerator.GetString(Alphanumeric, 22) + "03";
    public static string NewGroupId() => RandomNumberGenerator.GetString(Alphanumeric, 16);
}
