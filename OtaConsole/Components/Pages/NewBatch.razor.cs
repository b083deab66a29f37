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
public sealed partial class NewBatch : IDisposable
{
    [CascadingParameter] public OperatorTime Clock { get; set; } = OperatorTime.Utc;

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
    private WindowEditor? _window;
    private FailureRuleEditor? _rule;
    private WaveEditor? _waves;

    private BatchPreview? _preview;
    /// <summary>The form as it was when the preview was asked for; a change starts the debounce again.</summary>
    private string? _previewFor;
    private CancellationTokenSource? _debounce;
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
    [Inject] public required IDialogService Dialogs { get; init; }

    /// <summary>How long the form must rest before the preview follows it.</summary>
    public static readonly TimeSpan PreviewDelay = TimeSpan.FromMilliseconds(400);

    protected override async Task OnInitializedAsync()
    {
        _package = await Packages.FindAsync(await Operator.ReaderAsync(), PackageId);
        _missing = _package is null;
        _groups = await Catalog.ListGroupsAsync();
        _crumbs = [new("Maintenance", null, disabled: true), new("OTA Update", "/ota"), new(_package?.Name ?? PackageId, $"/ota/packages/{PackageId}"), new("Batch Update", null, disabled: true)];
        DefaultSchedule();
    }

    // The zone arrives from the browser after the first render: the default start is then set again in it, unless
    // the operator has already chosen to schedule.
    protected override void OnParametersSet()
    {
        if (!ReferenceEquals(_scheduleClock, Clock) && !_scheduled)
            DefaultSchedule();
    }

    private OperatorTime? _scheduleClock;

    /// <summary>Start on the hour, an hour or two from now, in the operator's zone.</summary>
    private void DefaultSchedule()
    {
        _scheduleClock = Clock;
        var start = Clock.Local(Time.GetUtcNow().AddHours(1));
        _startDate = start.Date;
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
        ScheduleTime = _scheduled && _selection == SelectionType.Static ? At(_startDate, _startTime, Clock) : null,
        ScheduleFinishTime = _scheduled && _selection == SelectionType.Static ? At(_finishDate, _finishTime, Clock) : null,
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
        Window = _window?.Current,
        FailureRules = _rule?.Current is { } rule ? [rule] : [],
        Waves = _selection == SelectionType.Static ? _waves?.Current ?? [] : [],
        Name = string.IsNullOrWhiteSpace(_name) ? null : _name.Trim(),
        Description = string.IsNullOrWhiteSpace(_description) ? null : _description,
    };

    public static List<string> SplitNames(string? text) =>
        (text ?? "").Split(['\n', '\r', ',', ';', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>A date and time the operator entered in their zone.</summary>
    private static DateTimeOffset? At(DateTime? date, TimeSpan? time, OperatorTime clock) =>
        date is { } d ? clock.FromLocal(d.Date + (time ?? TimeSpan.Zero)) : null;

    // Every change to the form re-renders the page; the preview follows once the form has rested for PreviewDelay.
    protected override void OnAfterRender(bool firstRender)
    {
        if (_package is not { CanStartBatch: true } || !EditorsValid)
            return;
        var form = Fingerprint(Request());
        if (form == _previewFor)
            return;
        _previewFor = form;
        _debounce?.Cancel();
        _debounce = new CancellationTokenSource();
        _ = PreviewLaterAsync(form, _debounce.Token);
    }

    private async Task PreviewLaterAsync(string form, CancellationToken ct)
    {
        try
        {
            await Task.Delay(PreviewDelay, Time, ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await InvokeAsync(async () =>
        {
            if (ct.IsCancellationRequested || form != _previewFor)
                return;
            await PreviewAsync();
            StateHasChanged();
        });
    }

    // The editors' callbacks re-render this page, which is all the preview needs to notice them.
    private void RateChanged(PushRate _) { }
    private void TagsChanged(IReadOnlyList<BatchTag> _) { }
    private void RuleChanged(FailureRule? _) { }
    private void WavesChanged(IReadOnlyList<RolloutWave> _) { }
    private void WindowChanged(MaintenanceWindow? _) { }

    public void Dispose() => _debounce?.Cancel();

    /// <summary>The push rate and tags fields each say what is wrong with them; until they are right there is nothing to preview or start.</summary>
    private bool EditorsValid => (_rate?.IsValid ?? true) && (_tags?.IsValid ?? true) && (_rule?.IsValid ?? true)
        && (_selection != SelectionType.Static || (_waves?.IsValid ?? true))
        && (_window?.IsValid ?? true);

    private static string Fingerprint(CreateBatchRequest r) => System.Text.Json.JsonSerializer.Serialize(r);

    private async Task PreviewAsync()
    {
        if (!EditorsValid)
            return;
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
        if (!EditorsValid)
            return;
        _busy = true;
        try
        {
            var actor = await Session.ActorAsync();
            if (actor is null)
            {
                OtaConsole.Security.OtaAuth.SendToSignIn(Navigation);
                return;
            }
            // The operator sees what this form will do, as it is now, before anything is written.
            var request = Request();
            var preview = await GuardAsync(() => Engine.PreviewBatchAsync(actor, request));
            _preview = preview ?? _preview;
            if (preview is null)
                return;
            if (await Dialogs.ShowMessageBoxAsync("Start batch update", Confirmation(preview, request), yesText: "Start", cancelText: "Not yet") != true)
                return;
            var created = await GuardAsync(() => Engine.CreateBatchAsync(actor, request));
            if (created is not null)
                Navigation.NavigateTo($"/ota/batches/{created.BatchId}");
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>"Push 2.0.0 to 12,600 devices at 30 a minute: about 7 h." and what else the preview found.</summary>
    public string Confirmation(BatchPreview p, CreateBatchRequest r)
    {
        var reached = p.Online + p.Offline;
        var devices = r.Selection == SelectionType.Dynamic
            ? $"{reached:N0} {(reached == 1 ? "device" : "devices")} now, and each device that matches later,"
            : $"{reached:N0} {(reached == 1 ? "device" : "devices")}";
        var text = $"Push {_package!.DestVersion} to {devices} at {Rate(r.PushRate)}";
        text += p.PushDuration switch
        {
            null => ". Devices ask for it (no push).",
            { } d when d < TimeSpan.FromSeconds(1) => ": in under a second.",
            { } d => $": about {Duration(d)}.",
        };
        if (r.ScheduleTime is { } at)
            text += $" It starts {Clock.Time(at)}.";
        if (p.Offline > 0)
            text += p.Offline == 1 ? " 1 of them is offline and gets it when it comes online." : $" {p.Offline:N0} of them are offline and get it when they come online.";
        if (p.Busy > 0)
            text += $" {p.Busy:N0} more {(p.Busy == 1 ? "is" : "are")} busy with another update: {(p.Busy == 1 ? "its" : "their")} update fails at once.";
        if (p.Overwrites > 0)
            text += $" {p.Overwrites:N0} older unfinished updates are cancelled.";
        if (p.UnknownDeviceNames.Count > 0)
            text += $" {p.UnknownDeviceNames.Count:N0} names in the list are not devices and get nothing.";
        if (p.WaveSizes.Count > 0)
            text += $" In {p.WaveSizes.Count} waves of {string.Join(", ", p.WaveSizes.Select(n => n.ToString("N0", CultureInfo.CurrentCulture)))} devices: each starts once the one before it passed"
                + (r.Waves.Any(w => w.NeedsApproval) ? ", some only when you approve them." : ".");
        foreach (var rule in r.FailureRules)
            text += rule.Action == RuleAction.Cancel ? $" It is cancelled by itself when {rule.ToString().Replace(", then cancel", "", StringComparison.Ordinal)}." : $" It pauses by itself when {rule}.";
        return text;
    }

    private static string Rate(PushRate rate) => rate.Kind == PushRateKind.Constant
        ? $"{rate.PerMinute:N0} a minute"
        : $"{rate.RampBase:N0} a minute, rising to {rate.PerMinute:N0}";

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
            // In the form's words: each field's message beside it, and the list by the fields' labels.
            var errors = e.Errors.Select(InOperatorTime).ToList();
            _errors = errors.Select(FormWords.Line).ToList();
            _fieldErrors = errors.GroupBy(x => x.Field).ToDictionary(g => g.Key, g => string.Join(" ", g.Select(FormWords.Message)));
            return null;
        }
        catch (OtaException e)
        {
            _errors = [e.Message];
            return null;
        }
    }

    /// <summary>The schedule's ranges with their bounds in the operator's zone, instead of the core's UTC times.</summary>
    private FieldError InOperatorTime(FieldError e)
    {
        var now = Time.GetUtcNow();
        if (e.Field == "ScheduleTime" && e.Message.StartsWith("the start time is", StringComparison.Ordinal))
            return e with { Message = $"the start is 5 minutes to 7 days from now: between {Clock.Time(now + Core.Validation.BatchRules.MinScheduleLead)} and {Clock.Time(now + Core.Validation.BatchRules.MaxScheduleLead)}." };
        if (e.Field == "ScheduleFinishTime" && e.Message.StartsWith("the finish time is", StringComparison.Ordinal))
        {
            var from = Request().ScheduleTime ?? now;
            return e with { Message = $"the finish is 1 hour to 30 days after the start: between {Clock.Time(from + Core.Validation.BatchRules.MinScheduleWindow)} and {Clock.Time(from + Core.Validation.BatchRules.MaxScheduleWindow)}." };
        }
        return e;
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

    private static string Duration(TimeSpan d) => Labels.Duration(d);
}
