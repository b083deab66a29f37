using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using OtaConsole.Components.Ota;
using OtaConsole.Components.Shared;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Components.Pages;

/// <summary>Initiate a batch update: every batch option, the preview, and the start.</summary>
public sealed partial class NewBatch
{
    private UpdatePackage? _package;
    private bool _missing;
    private List<BreadcrumbItem> _crumbs = [];
    private List<DeviceGroup> _groups = [];
    private PushRateEditor? _rate;
    private TagsEditor? _tags;

    private SelectionType _selection = SelectionType.Static;
    private DynamicMode _dynamicMode = DynamicMode.AllMatching;
    private TargetSelection _target = TargetSelection.All;
    private string? _deviceNames;
    private string? _grayPercent;
    private string? _groupId;
    private string? _newSource;
    private readonly List<string> _sources = [];
    private bool _scheduled;
    private DateTime? _startDate;
    private TimeSpan? _startTime;
    private DateTime? _finishDate;
    private TimeSpan? _finishTime;
    private int? _retryInterval;
    private int? _retryCount;
    private int? _timeout;
    private DownloadProtocol _protocol;
    private bool _overwrite;
    private bool _multiModule;
    private bool _needPush = true;
    private bool _needConfirm;
    private string? _name;
    private string? _description;

    private BatchPreview? _preview;
    private List<string> _errors = [];
    private Dictionary<string, string> _fieldErrors = [];
    private bool _busy;

    [Parameter] public required string PackageId { get; set; }
    [Inject] public required PackageQueries Packages { get; init; }
    [Inject] public required CatalogService Catalog { get; init; }
    [Inject] public required RolloutEngine Engine { get; init; }
    [Inject] public required Operator Operator { get; init; }
    [Inject] public required OtaConsole.Security.OperatorSession Session { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required TimeProvider Time { get; init; }

    protected override async Task OnInitializedAsync()
    {
        _package = await Packages.FindAsync(await Operator.ReaderAsync(), PackageId);
        _missing = _package is null;
        _groups = await Catalog.ListGroupsAsync();
        _crumbs = [new("Maintenance", null, disabled: true), new("OTA Update", "/ota"), new(_package?.Name ?? PackageId, $"/ota/packages/{PackageId}"), new("Batch Update", null, disabled: true)];
        var start = Time.GetUtcNow().AddHours(1);
        _startDate = start.UtcDateTime.Date;
        _startTime = new TimeSpan(start.Hour, 0, 0);
    }

    /// <summary>The request the form describes.</summary>
    public CreateBatchRequest Request() => new()
    {
        PackageId = PackageId,
        Selection = _selection,
        DynamicMode = _dynamicMode,
        Target = _target,
        DeviceNames = _target == TargetSelection.Specific ? SplitNames(_deviceNames) : [],
        GrayPercent = _target == TargetSelection.Gray ? _grayPercent?.Trim() : null,
        GroupId = _target == TargetSelection.Group ? _groupId : null,
        SrcVersions = _target == TargetSelection.Specific ? [] : [.. _sources],
        ScheduleTime = _scheduled && _selection == SelectionType.Static ? At(_startDate, _startTime) : null,
        ScheduleFinishTime = _scheduled && _selection == SelectionType.Static ? At(_finishDate, _finishTime) : null,
        PushRate = _rate?.Current ?? PushRate.Default,
        RetryIntervalMinutes = _retryInterval,
        RetryCount = _retryInterval is null ? null : _retryCount ?? 1,
        TimeoutMinutes = _timeout,
        OverwriteMode = _overwrite ? OverwriteMode.Overwrite : OverwriteMode.DoNotOverwrite,
        MultiModuleMode = _multiModule,
        NeedPush = _needPush,
        NeedConfirm = _needConfirm,
        DownloadProtocol = _protocol,
        Tags = _tags?.Current ?? [],
        Name = string.IsNullOrWhiteSpace(_name) ? null : _name.Trim(),
        Description = string.IsNullOrWhiteSpace(_description) ? null : _description,
    };

    public static List<string> SplitNames(string? text) =>
        (text ?? "").Split(['\n', '\r', ',', ';', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();

    private static DateTimeOffset? At(DateTime? date, TimeSpan? time) =>
        date is { } d ? new DateTimeOffset(d.Date + (time ?? TimeSpan.Zero), TimeSpan.Zero) : null;

    private async Task PreviewAsync()
    {
        _busy = true;
        try
        {
            var reader = await Operator.ReaderAsync();
            _preview = await GuardAsync(() => Engine.PreviewBatchAsync(reader, Request()));
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task StartAsync()
    {
        _busy = true;
        try
        {
            var actor = await Session.ActorAsync();
            if (actor is null)
            {
                OtaConsole.Security.OtaAuth.SendToSignIn(Navigation);
                return;
            }
            var created = await GuardAsync(() => Engine.CreateBatchAsync(actor, Request()));
            if (created is not null)
                Navigation.NavigateTo($"/ota/batches/{created.BatchId}");
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Validation errors stay on the form, next to their fields; other refusals go to the snackbar.</summary>
    private async Task<T?> GuardAsync<T>(Func<Task<T>> action) where T : class
    {
        _errors = [];
        _fieldErrors = [];
        try
        {
            return await action();
        }
        catch (OtaValidationException e)
        {
            _errors = e.Errors.Select(x => x.ToString()).ToList();
            _fieldErrors = e.Errors.GroupBy(x => x.Field).ToDictionary(g => g.Key, g => string.Join(" ", g.Select(x => x.Message)));
            return null;
        }
        catch (OtaException e)
        {
            _errors = [e.Message];
            return null;
        }
    }

    private bool HasError(string field) => _fieldErrors.ContainsKey(field);
    private string? ErrorOf(string field) => _fieldErrors.GetValueOrDefault(field);

    // Enter adds the version typed, as Add does; the field binds as it is typed, so Add needs no blur first.
    private void SourceKey(Microsoft.AspNetCore.Components.Web.KeyboardEventArgs e)
    {
        if (e.Key == "Enter")
            AddSource();
    }

    private void AddSource()
    {
        var v = _newSource?.Trim();
        if (!string.IsNullOrEmpty(v) && !_sources.Contains(v))
            _sources.Add(v);
        _newSource = null;
    }

    /// <summary>A CSV or text file of device names: the first column of each line.</summary>
    private async Task DeviceFileAsync(IBrowserFile? file)
    {
        if (file is null)
            return;
        await Operator.RunAsync(async _ =>
        {
            // A million names of at most 32 characters fit in 40 MB.
            using var reader = new StreamReader(file.OpenReadStream(40L * 1024 * 1024));
            var names = new List<string>();
            while (await reader.ReadLineAsync() is { } line)
            {
                var first = line.Split(',', 2)[0].Trim().Trim('"');
                if (first.Length > 0 && !first.Equals("DeviceName", StringComparison.OrdinalIgnoreCase))
                    names.Add(first);
            }
            _deviceNames = string.Join('\n', names);
        }, "Device names loaded");
    }

    private static string Duration(TimeSpan d) => d < TimeSpan.FromSeconds(1) ? "under a second" : d.TotalMinutes < 1
        ? $"{d.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s"
        : d.TotalHours < 1 ? $"{d.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} min" : $"{d.TotalHours.ToString("0.#", CultureInfo.InvariantCulture)} h";
}
