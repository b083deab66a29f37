namespace OtaConsole.Core.Model;

/// <summary>An update package ("firmware"): one file or up to 20 named files, for one module of one product.</summary>
public sealed class UpdatePackage
{
    public required string Id { get; set; }
    public required string ProductKey { get; set; }
    public required string Name { get; set; }
    public required string DestVersion { get; set; }
    /// <summary>Required for a differential package: the only version it applies to.</summary>
    public string? SrcVersion { get; set; }
    public PackageType Type { get; set; }
    public string ModuleName { get; set; } = OtaModule.Default;
    public SignMethod SignMethod { get; set; }
    public string? Description { get; set; }
    public bool NeedToVerify { get; set; }
    public PackageStatus Status { get; set; }
    /// <summary>0..100: share of the verify batch's tasks that have finished.</summary>
    public int VerifyProgress { get; set; }
    /// <summary>Why the verification failed (a timeout, devices that failed), shown beside the status.</summary>
    public string? VerifyFailure { get; set; }
    /// <summary>Custom information, pushed to devices as extData._package_udi.</summary>
    public string? Udi { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ModifiedAt { get; set; }
    public List<PackageFile> Files { get; set; } = [];

    public bool IsMultiFile => Files.Count > 1;
    /// <summary>A package that needs verification can be verified until it is verifying or verified.</summary>
    public bool CanVerify => Status is PackageStatus.Unverified or PackageStatus.VerificationFailed;
    /// <summary>Batch updates need a verified package, or one that needs no verification.</summary>
    public bool CanStartBatch => Status is PackageStatus.Verified or PackageStatus.NoVerificationNeeded;
    public long TotalSize => Files.Sum(f => f.Size);
    /// <summary>The package signature: that of its single file, or of the first file of a multi-file package.</summary>
    public string Sign => Files.Count > 0 ? Files[0].Sign : "";
}

public sealed class PackageFile
{
    public int Id { get; set; }
    public required string PackageId { get; set; }
    /// <summary>Position in the package, from 0.</summary>
    public int Index { get; set; }
    public required string Name { get; set; }
    public long Size { get; set; }
    public required string Md5 { get; set; }
    public required string Sha256 { get; set; }
    /// <summary>MD5 or SHA-256 hex, as the package's SignMethod says.</summary>
    public required string Sign { get; set; }
    /// <summary>Path under the data folder's package store.</summary>
    public required string StoragePath { get; set; }
}
