using OtaConsole.Core;

namespace OtaConsole.Components.Shared;

/// <summary>
/// The core's validation messages as a form shows them: beside the field they are about, so without the API's
/// parameter name, starting with a capital, and without the "; got …" an API caller needs to see what it sent (the
/// operator sees it in the field). A field's own label, for the list of what is wrong, from the API's name.
/// </summary>
public static class FormWords
{
    private static readonly Dictionary<string, string> LabelsByField = new(StringComparer.Ordinal)
    {
        ["MaximumPerMinute"] = "Push rate",
        ["RampBaseRate"] = "Start at",
        ["RampIncrementFactor"] = "Multiply by",
        ["RampStep"] = "Every (devices)",
        ["RampCriterion"] = "Counting devices that",
        ["Tag.N"] = "Tags",
        ["GrayPercent"] = "Percentage of devices",
        ["SrcVersion.N"] = "Source versions",
        ["ScheduleTime"] = "Start",
        ["ScheduleFinishTime"] = "Finish",
        ["TimeoutInMinutes"] = "Timeout",
        ["RetryInterval"] = "Retry interval",
        ["RetryCount"] = "Retries",
        ["TargetDeviceName.N"] = "Device names",
        ["TargetSelection"] = "Devices",
        ["SelectionType"] = "Update range",
        ["DynamicMode"] = "Update range",
        ["GroupId"] = "Group",
        ["DownloadProtocol"] = "Download protocol",
        ["OverwriteMode"] = "Overwrite unfinished updates",
        ["Name"] = "Batch name",
        ["JobDesc"] = "Description",
        ["FirmwareName"] = "Update package name",
        ["DestVersion"] = "Destination version",
        ["SrcVersion"] = "Source version",
        ["FirmwareDesc"] = "Description",
        ["Udi"] = "Custom information",
        ["MultiFiles.N"] = "Files",
        ["FirmwareSign"] = "Signature",
        ["ProductKey"] = "Product key",
        ["MaintenanceWindow.TimeZone"] = "Time zone",
        ["MaintenanceWindow.Days"] = "Days",
        ["MaintenanceWindow.Start"] = "From",
        ["MaintenanceWindow.End"] = "To",
        ["ProductName"] = "Product name",
        ["Description"] = "Description",
        ["DeviceName"] = "Device name",
        ["DeviceName.N"] = "Device names",
        ["ModuleName"] = "Module name",
        ["AliasName"] = "Alias",
        ["Desc"] = "Description",
        ["GroupName"] = "Group name",
    };

    /// <summary>The form's label for an API field; "Tag.3.Key" is "Tag 3 key", "MultiFiles.2.Name" is "File 2 name".</summary>
    public static string Label(string field)
    {
        if (LabelsByField.TryGetValue(field, out var label))
            return label;
        var parts = field.Split('.');
        if (parts.Length == 3 && int.TryParse(parts[1], out var n))
            return $"{(parts[0] == "MultiFiles" ? "File" : parts[0])} {n} {parts[2].ToLowerInvariant()}";
        return field;
    }

    /// <summary>The message to show under the field.</summary>
    public static string Message(FieldError e)
    {
        var text = e.Message;
        var got = text.IndexOf("; got ", StringComparison.Ordinal);
        if (got > 0)
            text = text[..got] + ".";
        return text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
    }

    /// <summary>A whole number as an operator types it (12,600 or 12600, a sign allowed so "-5" is said to be out of range); null if it is none.</summary>
    public static int? Whole(string? text) =>
        int.TryParse(text?.Trim().Replace(",", "", StringComparison.Ordinal), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>"Push rate: The push rate is 10-100000 devices per minute." for a list of what is wrong, one line each.</summary>
    public static string Line(FieldError e) => $"{Label(e.Field)}: {Message(e)}";
}
