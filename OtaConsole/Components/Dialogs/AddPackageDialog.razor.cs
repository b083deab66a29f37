using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using OtaConsole.Components.Shared;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;

namespace OtaConsole.Components.Dialogs;

public sealed partial class AddPackageDialog
{
    private MudForm? _form;
    private List<Product> _products = [];
    private List<string> _modules = [OtaModule.Default];
    private string? _productKey;
    private string _module = OtaModule.Default;
    private string? _name;
    private PackageType _type = PackageType.Full;
    private string? _srcVersion;
    private string? _destVersion;
    private SignMethod _signMethod = SignMethod.Md5;
    private bool _needToVerify = true;
    private string? _description;
    private string? _udi;
    private List<IBrowserFile> _files = [];
    private List<string?> _signs = [];
    private string? _filesMessage;
    /// <summary>What the core refused, in the form: a file's signature under that file, the rest listed by label.</summary>
    private Dictionary<string, string> _fieldErrors = [];
    private List<string> _formErrors = [];
    private bool _uploading;
    private long _uploaded;
    private long _total;
    private int _lastPercent = -1;
    private UpdatePackage? _created;

    [CascadingParameter] public required IMudDialogInstance MudDialog { get; set; }
    [Parameter] public string? ProductKey { get; set; }
    [Inject] public required CatalogService Catalog { get; init; }
    [Inject] public required PackageService Packages { get; init; }
    [Inject] public required PackageFileStore Store { get; init; }
    [Inject] public required Operator Operator { get; init; }

    private long MaxMegabytes => Store.MaxFileBytes / 1024 / 1024;

    protected override async Task OnInitializedAsync()
    {
        _products = await Catalog.ListProductsAsync(await Operator.ReaderAsync());
        await ProductChangedAsync(ProductKey ?? _products.FirstOrDefault()?.ProductKey);
    }

    private Task ProductChangedAsync(string? productKey)
    {
        _productKey = productKey;
        _modules = _products.FirstOrDefault(p => p.ProductKey == productKey)?.Modules.Select(m => m.ModuleName).Order().ToList() ?? [OtaModule.Default];
        _module = OtaModule.Default;
        return Task.CompletedTask;
    }

    private void FilesChanged(IReadOnlyList<IBrowserFile>? files)
    {
        // MudBlazor hands over null when more files were chosen than allowed, and none when the choice was emptied.
        _files = files?.ToList() ?? [];
        _signs = _files.Select(_ => (string?)null).ToList();
        _filesMessage = files is null
            ? $"More than {PackageService.MaxFiles} files were chosen: a package has 1-{PackageService.MaxFiles} files of up to {MaxMegabytes:N0} MB each. Choose again."
            : _files.Count == 0 ? $"No file is chosen: a package has 1-{PackageService.MaxFiles} files of up to {MaxMegabytes:N0} MB each." : null;
        _fieldErrors = [];
        _formErrors = [];
    }

    private async Task UploadAsync()
    {
        await _form!.ValidateAsync();
        if (!_form.IsValid)
            return;
        _uploading = true;
        _uploaded = 0;
        _total = _files.Sum(f => f.Size);
        var streams = new List<Stream>();
        try
        {
            long done = 0;
            var uploads = new List<PackageFileUpload>();
            for (var i = 0; i < _files.Count; i++)
            {
                var before = done;
                done += _files[i].Size;
                // A file over the limit fails as it is read; the store stops and deletes it.
                var stream = new ProgressStream(_files[i].OpenReadStream(Store.MaxFileBytes + 1), read => Progress(before + read));
                streams.Add(stream);
                uploads.Add(new PackageFileUpload(_files[i].Name, stream, string.IsNullOrWhiteSpace(_signs[i]) ? null : _signs[i]));
            }
            _created = await Operator.GetAsync(a => Packages.CreateAsync(a, new CreatePackageRequest
            {
                ProductKey = _productKey!,
                Name = _name!.Trim(),
                DestVersion = _destVersion!.Trim(),
                SrcVersion = _type == PackageType.Differential ? _srcVersion?.Trim() : null,
                Type = _type,
                ModuleName = _module,
                SignMethod = _signMethod,
                NeedToVerify = _needToVerify,
                Description = _description,
                Udi = string.IsNullOrEmpty(_udi) ? null : _udi,
                Files = uploads,
            }), "Package uploaded", Refused);
        }
        finally
        {
            foreach (var s in streams)
                await s.DisposeAsync();
            _uploading = false;
        }
    }

    private void Refused(IReadOnlyList<FieldError> errors)
    {
        _fieldErrors = errors.GroupBy(e => SignField(e.Field)).ToDictionary(g => g.Key, g => string.Join(" ", g.Select(FormWords.Message)));
        _formErrors = errors.Where(e => SignField(e.Field) == e.Field).Select(FormWords.Line).ToList();
    }

    // A package of one file names its signature FirmwareSign; of several, MultiFiles.N.SignValue: both are file N's.
    private string SignField(string field) =>
        field == "FirmwareSign" ? "sign-1"
        : field.StartsWith("MultiFiles.", StringComparison.Ordinal) && field.EndsWith(".SignValue", StringComparison.Ordinal) ? $"sign-{field.Split('.')[1]}"
        : field;

    private string? SignError(int index) => _fieldErrors.GetValueOrDefault($"sign-{index + 1}");

    private void Progress(long uploaded)
    {
        _uploaded = uploaded;
        var percent = _total == 0 ? 100 : (int)(100 * uploaded / _total);
        if (percent != _lastPercent)
        {
            _lastPercent = percent;
            _ = InvokeAsync(StateHasChanged);
        }
    }
}
