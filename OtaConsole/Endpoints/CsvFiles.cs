using System.Globalization;
using System.Text;
using CsvHelper;
using OtaConsole.Components.Shared;
using OtaConsole.Core.Api;
using OtaConsole.Core.Model;

namespace OtaConsole.Endpoints;

/// <summary>
/// The console's CSV files, written with CsvHelper: the console's own words for statuses (and Alibaba's name beside
/// them, for scripts), numbers and times as a spreadsheet or a script reads them, UTF-8 with a byte-order mark so
/// Excel reads names right.
/// </summary>
public static class CsvFiles
{
    private static readonly CsvWriterOptions Options = new()
    {
        FormatProvider = CultureInfo.InvariantCulture,
        // Only text a device or an operator chose is defused (FreeText; device names may start with @); a failure code such as -2 stays a number.
        Injection = CsvInjection.None,
    };

    public static async Task DeviceListAsync(IAsyncEnumerable<UpdateTask> tasks, Stream output, CancellationToken ct)
    {
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), leaveOpen: true);
        await using var csv = CsvWriter.Create(text, Options, leaveOpen: true);
        await csv.WriteRecordAsync(["Task ID", "Device name", "Module", "Status", "Alibaba status", "Progress (%)", "Source version",
            "Destination version", "Failure code", "Failure reason", "Retries", "Last update (UTC)"], ct);
        await foreach (var t in tasks.WithCancellation(ct))
        {
            await csv.WriteRecordAsync([
                t.Id.ToString(CultureInfo.InvariantCulture), FreeText(t.DeviceName), t.ModuleName, Labels.Task(t.Status, t.QueueReason), ApiNames.Task(t.Status),
                t.Progress.ToString(CultureInfo.InvariantCulture), t.SrcVersion ?? "", t.DestVersion, t.FailureCode ?? "", FreeText(t.FailureReason),
                t.RetryAttempts.ToString(CultureInfo.InvariantCulture), t.ModifiedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ], ct);
        }
        await csv.FlushAsync(ct);
    }

    public static async Task AuditLogAsync(IAsyncEnumerable<AuditEntry> entries, Stream output, CancellationToken ct)
    {
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), leaveOpen: true);
        await using var csv = CsvWriter.Create(text, Options, leaveOpen: true);
        await csv.WriteRecordAsync(["ID", "Time (UTC)", "Actor kind", "Actor", "Actor ID", "Address", "Action", "Target type", "Target ID", "Succeeded", "Error", "Details"], ct);
        await foreach (var a in entries.WithCancellation(ct))
        {
            await csv.WriteRecordAsync([
                a.Id.ToString(CultureInfo.InvariantCulture), a.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), a.ActorKind.ToString(),
                FreeText(a.ActorName), FreeText(a.ActorId), a.Address ?? "", a.Action, a.TargetType ?? "", FreeText(a.TargetId),
                a.Succeeded ? "yes" : "no", FreeText(a.Error), FreeText(a.Details),
            ], ct);
        }
        await csv.FlushAsync(ct);
    }

    /// <summary>One column of names (a batch's names that were not devices).</summary>
    public static async Task NamesAsync(IAsyncEnumerable<string> names, Stream output, CancellationToken ct)
    {
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), leaveOpen: true);
        await using var csv = CsvWriter.Create(text, Options, leaveOpen: true);
        await csv.WriteRecordAsync(["Device name"], ct);
        await foreach (var name in names.WithCancellation(ct))
            await csv.WriteRecordAsync([FreeText(name)], ct);
        await csv.FlushAsync(ct);
    }

    /// <summary>Text a device or an operator chose, with a leading formula character made inert for spreadsheets.</summary>
    public static string FreeText(string? value) =>
        string.IsNullOrEmpty(value) ? "" : value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
}
