using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Api.Operations;

/// <summary>Update packages ("firmware"): upload tickets, create, query, list, delete.</summary>
internal static class FirmwareOperations
{
    private const string Group = "Update packages";
    private static readonly ApiParam FirmwareId = new("FirmwareId", "The package's ID.", Required: true);

    public static IEnumerable<ApiOperation> All =>
    [
        new("GenerateOTAUploadURL", Group, Writes: true,
            "A ticket to upload a package file to the console's own store (an OSS-style PostObject form to Host with key, policy, OSSAccessKeyId, Signature, success_action_status and file last); then CreateOTAFirmware with the FirmwareUrl.",
            [new("FileSuffix", $"One of {string.Join(", ", UploadStore.Suffixes)}; default bin.")],
            GenerateUploadUrlAsync),
        new("CreateOTAFirmware", Group, Writes: true, "Creates an update package from uploaded files.",
        [
            new("FirmwareName", "1-40 characters: letters, digits, CJK, - _ ( ), starting with a letter, digit or CJK; unique.", Required: true),
            new("DestVersion", "1-64 characters of A-Z a-z 0-9 . _ -.", Required: true),
            new("ProductKey", "The product the package is for.", Required: true),
            new("FirmwareUrl", "One file: the FirmwareUrl GenerateOTAUploadURL returned."),
            new("MultiFiles.N.Name / .Url / .Size / .SignValue", "Up to 20 files, instead of FirmwareUrl: a unique name of 1-32 characters and an uploaded FirmwareUrl each."),
            new("FirmwareSign", "The file's MD5 or SHA-256 (hex); checked against the file."),
            new("FirmwareSize", "The file's size in bytes; checked against the file."),
            new("SignMethod", "MD5 (default) or SHA256."),
            new("Type", "0 full (default) or 1 differential."),
            new("SrcVersion", "The source version of a differential package."),
            new("ModuleName", "The module; default when absent."),
            new("NeedToVerify", "true (default) or false."),
            new("FirmwareDesc", "At most 100 characters."),
            new("Udi", "Custom information for devices (extData._package_udi), at most 4096 characters."),
        ], CreateFirmwareAsync),
        new("QueryOTAFirmware", Group, Writes: false, "Every field of a package, with signed download links.", [FirmwareId], QueryFirmwareAsync),
        new("ListOTAFirmware", Group, Writes: false, "Packages, newest first.",
        [
            new("CurrentPage", "From 1.", Required: true),
            new("PageSize", "1-100.", Required: true),
            new("ProductKey", "Only this product's packages."),
            new("DestVersion", "Only packages to this version."),
        ], ListFirmwareAsync),
        new("DeleteOTAFirmware", Group, Writes: true, "Deletes a package whose batches have all finished.",
            [FirmwareId, new("ProductKey", "If given, must be the package's product.")],
            async c =>
            {
                var package = c.P.Has("ProductKey") ? await Lookups.FirmwareOfProductAsync(c) : await Lookups.FirmwareAsync(c);
                await c.S.Packages.DeleteAsync(c.Actor, package.Id, c.Ct);
                return OtaApi.Done;
            }),
    ];

    private static Task<object> GenerateUploadUrlAsync(ApiCall c)
    {
        var ticket = c.S.Uploads.Issue(c.P.Optional("FileSuffix") ?? UploadStore.Suffixes[0]);
        return Task.FromResult<object>(new
        {
            Data = new
            {
                ticket.FirmwareUrl,
                ticket.Host,
                ticket.Key,
                OSSAccessKeyId = "otaconsole",
                ObjectStorage = "OSS",
                ticket.Policy,
                ticket.Signature,
                UtcCreate = ApiNames.Utc(ticket.CreatedAt),
            },
        });
    }

    private static async Task<object> CreateFirmwareAsync(ApiCall c)
    {
        var p = c.P;
        var files = new List<(string Name, string Path, long? Size, string? Sign)>();
        if (p.Optional("FirmwareUrl") is { } url)
        {
            files.Add((FileName(url), Staged(c, "FirmwareUrl", url), p.Long("FirmwareSize", 0, long.MaxValue), p.Optional("FirmwareSign")));
        }
        foreach (var i in p.Items("MultiFiles", "Url"))
        {
            var name = p.Optional($"MultiFiles.{i}.Name") ?? throw ApiException.Missing($"MultiFiles.{i}.Name");
            var fileUrl = p.Required($"MultiFiles.{i}.Url");
            files.Add((name, Staged(c, $"MultiFiles.{i}.Url", fileUrl), p.Long($"MultiFiles.{i}.Size", 0, long.MaxValue), p.Optional($"MultiFiles.{i}.SignValue")));
        }
        if (files.Count == 0)
            throw ApiException.Missing("FirmwareUrl");
        if (p.Has("FirmwareUrl") && p.HasList("MultiFiles"))
            throw ApiException.Invalid("FirmwareUrl", "give either FirmwareUrl or MultiFiles.N, not both.");
        for (var i = 0; i < files.Count; i++)
            if (files[i].Size is long size && size != new FileInfo(files[i].Path).Length)
                throw ApiException.Invalid(files.Count == 1 && p.Has("FirmwareUrl") ? "FirmwareSize" : $"MultiFiles.{i + 1}.Size",
                    $"{size} bytes given; the uploaded file has {new FileInfo(files[i].Path).Length}.");

        var streams = files.Select(f => (Stream)File.OpenRead(f.Path)).ToList();
        try
        {
            var package = await c.S.Packages.CreateAsync(c.Actor, new CreatePackageRequest
            {
                ProductKey = p.Required("ProductKey"),
                Name = p.Required("FirmwareName"),
                DestVersion = p.Required("DestVersion"),
                SrcVersion = p.Optional("SrcVersion"),
                Type = (PackageType)(p.OneOf("Type", 0, 1) ?? 0),
                ModuleName = p.Optional("ModuleName") ?? OtaModule.Default,
                SignMethod = p.Enum("SignMethod", ApiNames.SignMethods) ?? SignMethod.Md5,
                Description = p.Optional("FirmwareDesc"),
                NeedToVerify = p.Bool("NeedToVerify") ?? true,
                Udi = p.Optional("Udi"),
                Files = files.Select((f, i) => new PackageFileUpload(f.Name, streams[i], f.Sign)).ToList(),
            }, c.Ct);
            foreach (var f in files)
                c.S.Uploads.Remove(f.Path);
            return new { Data = new { FirmwareId = package.Id, UtcCreate = ApiNames.Utc(package.CreatedAt) } };
        }
        finally
        {
            foreach (var s in streams)
                await s.DisposeAsync();
        }
    }

    private static string Staged(ApiCall c, string name, string url) =>
        c.S.Uploads.Resolve(url) ?? throw ApiException.Invalid(name,
            "not a file uploaded to this console: upload it with the ticket GenerateOTAUploadURL returns and give that FirmwareUrl (uploads are kept 24 hours). OtaConsole does not fetch files from other addresses.");

    /// <summary>A single file's name, as devices see it: "firmware" with the upload's suffix (the upload key itself is too long a name).</summary>
    private static string FileName(string url)
    {
        var name = Uri.TryCreate(url, UriKind.Absolute, out var u) ? Path.GetFileName(u.AbsolutePath) : "";
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? "firmware" + name[dot..] : "firmware.bin";
    }

    private static async Task<object> QueryFirmwareAsync(ApiCall c)
    {
        var f = await Lookups.FirmwareAsync(c);
        var product = await Lookups.ProductAsync(c, f.ProductKey);
        var files = f.Files.OrderBy(x => x.Index).ToList();
        var links = files.Select(x => c.S.Links.For(f.Id, NoticeFile.From(x))).ToList();
        return new
        {
            FirmwareInfo = new
            {
                f.DestVersion,
                FirmwareDesc = f.Description,
                FirmwareId = f.Id,
                FirmwareName = f.Name,
                FirmwareSign = f.Sign,
                FirmwareSize = f.TotalSize,
                FirmwareUrl = links.FirstOrDefault(),
                f.ModuleName,
                MultiFiles = f.IsMultiFile
                    ? files.Select((x, i) => new { FileMd5 = x.Md5, x.Name, SignValue = x.Sign, x.Size, Url = links[i] }).ToList()
                    : null,
                f.ProductKey,
                ProductName = product.Name,
                SignMethod = ApiNames.Sign(f.SignMethod),
                f.SrcVersion,
                Status = (int)f.Status,
                Type = (int)f.Type,
                f.Udi,
                UtcCreate = ApiNames.Utc(f.CreatedAt),
                UtcModified = ApiNames.Utc(f.ModifiedAt),
                f.VerifyProgress,
            },
        };
    }

    private static async Task<object> ListFirmwareAsync(ApiCall c)
    {
        var (page, size) = Lookups.Paging(c, maxPageSize: 100);
        var result = await c.S.PackageQueries.ListAsync(c.Actor, new PackageFilter
        {
            ProductKey = c.P.Optional("ProductKey"),
            DestVersion = c.P.Optional("DestVersion"),
            Page = page - 1,
            PageSize = size,
        }, c.Ct);
        var products = (await c.S.Catalog.ListProductsAsync(c.Actor, c.Ct)).ToDictionary(p => p.ProductKey, p => p.Name);
        return new
        {
            CurrentPage = page,
            PageSize = size,
            PageCount = Lookups.PageCount(result.Total, size),
            Total = result.Total,
            FirmwareInfo = new
            {
                SimpleFirmwareInfo = result.Items.Select(f => new
                {
                    f.DestVersion,
                    FirmwareDesc = f.Description,
                    FirmwareId = f.Id,
                    FirmwareName = f.Name,
                    FirmwareSign = f.Sign,
                    FirmwareSize = f.TotalSize,
                    f.ModuleName,
                    f.ProductKey,
                    ProductName = products.GetValueOrDefault(f.ProductKey),
                    SignMethod = ApiNames.Sign(f.SignMethod),
                    f.SrcVersion,
                    Status = (int)f.Status,
                    Type = (int)f.Type,
                    UtcCreate = ApiNames.Utc(f.CreatedAt),
                    UtcModified = ApiNames.Utc(f.ModifiedAt),
                }).ToList(),
            },
        };
    }
}
