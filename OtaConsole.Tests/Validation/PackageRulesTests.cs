using System.Text;
using Microsoft.Extensions.Options;
using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Validation;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Validation;

public sealed class PackageRulesTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static CreatePackageRequest Request(string name = "fw-2", string dest = "2.0.0", int files = 1) => new()
    {
        ProductKey = EngineHarness.ProductKey,
        Name = name,
        DestVersion = dest,
        Files = Enumerable.Range(0, files).Select(i => new PackageFileUpload($"f{i}.bin", new MemoryStream([1, 2, 3]))).ToList(),
    };

    [Theory]
    [InlineData("fw_2.0", false)]
    [InlineData("固件-1(beta)", true)]
    [InlineData("ファーム1", true)]
    [InlineData("-fw", false)]
    [InlineData("", false)]
    [InlineData("a234567890123456789012345678901234567890", true)]
    [InlineData("a2345678901234567890123456789012345678901", false)]
    public void Package_names_follow_Alibabas_rules(string name, bool ok) => Assert.Equal(ok, NameRules.IsPackageName(name));

    [Theory]
    [InlineData("1.0.0", true)]
    [InlineData("v1_2-rc.3", true)]
    [InlineData("1.0 beta", false)]
    [InlineData("1/0", false)]
    [InlineData("", false)]
    public void Versions_are_1_to_64_of_letters_digits_dot_underscore_dash(string v, bool ok) => Assert.Equal(ok, NameRules.IsVersion(v));

    [Theory]
    [InlineData("dev-1", true)]
    [InlineData("a@b.c:d_e", true)]
    [InlineData("abc", false)]
    [InlineData("dev/1", false)]
    [InlineData("dev+1", false)]
    [InlineData("dev#1", false)]
    [InlineData("ab\u0000cd", false)]
    public void Device_names_are_4_to_32_safe_characters(string n, bool ok) => Assert.Equal(ok, NameRules.IsDeviceName(n));

    [Fact]
    public async Task A_package_is_stored_with_its_size_and_digests_and_the_given_signature_is_checked()
    {
        var content = Encoding.UTF8.GetBytes("hello firmware");
        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(content));
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        await _h.ProductAsync();
        var p = await _h.Packages.CreateAsync(Actor.System, Request() with { Files = [new PackageFileUpload("a.bin", new MemoryStream(content), md5.ToUpperInvariant())] });
        var f = Assert.Single(p.Files);
        Assert.Equal((14L, md5, sha, md5), (f.Size, f.Md5, f.Sha256, f.Sign));
        Assert.Equal(content, await File.ReadAllBytesAsync(_h.Files.FullPath(f.StoragePath)));

        var sha256 = await _h.Packages.CreateAsync(Actor.System, Request("fw-3", "3.0.0") with { SignMethod = SignMethod.Sha256, Files = [new PackageFileUpload("a.bin", new MemoryStream(content))] });
        Assert.Equal(sha, sha256.Sign);

        var wrong = await Assert.ThrowsAsync<OtaValidationException>(() => _h.Packages.CreateAsync(Actor.System, Request("fw-4", "4.0.0") with { Files = [new PackageFileUpload("a.bin", new MemoryStream(content), "00000000000000000000000000000000")] }));
        Assert.Equal("InvalidFirmwareSign", wrong.Code);
        Assert.Null(await FindByNameAsync("fw-4"));
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused_and_leaves_nothing_behind()
    {
        await _h.ProductAsync();
        // The limit is a setting (1000 MB by default); 1 MB keeps the test from writing a gigabyte.
        var store = new PackageFileStore(Options.Create(new OtaOptions { DataDirectory = _h.Database.Folder, MaxPackageFileMegabytes = 1 }));
        var packages = new PackageService(_h.Database, store, _h.Time, _h.Feed, _h.Audited);
        var huge = new ZeroStream(2L * 1024 * 1024 * 1024);
        var e = await Assert.ThrowsAsync<OtaValidationException>(() => packages.CreateAsync(Actor.System, Request() with { Files = [new PackageFileUpload("big.bin", huge)] }));
        Assert.Contains("at most 1 MB", e.Message);
        Assert.True(huge.Position < huge.Length);
        Assert.Null(await FindByNameAsync("fw-2"));
        var folder = Path.Combine(_h.Database.Folder, "packages");
        Assert.True(!Directory.Exists(folder) || Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length == 0);
    }

    [Fact]
    public void Package_fields_are_validated_with_the_field_named()
    {
        Assert.Contains(PackageService.Validate(Request("-bad")), e => e.Field == "FirmwareName");
        Assert.Contains(PackageService.Validate(Request(dest: "2 0")), e => e.Field == "DestVersion");
        Assert.Contains(PackageService.Validate(Request() with { Type = PackageType.Differential }), e => e.Field == "SrcVersion");
        Assert.Contains(PackageService.Validate(Request() with { Type = PackageType.Differential, SrcVersion = "2.0.0" }), e => e.Field == "SrcVersion");
        Assert.Contains(PackageService.Validate(Request() with { Udi = new string('x', 4097) }), e => e.Field == "Udi");
        Assert.Empty(PackageService.Validate(Request() with { Udi = new string('x', 4096) }));
        Assert.Contains(PackageService.Validate(Request(files: 21)), e => e.Field == "MultiFiles.N");
        Assert.Empty(PackageService.Validate(Request(files: 20)));
        Assert.Contains(PackageService.Validate(Request(files: 0)), e => e.Field == "MultiFiles.N");
        Assert.Contains(PackageService.Validate(Request() with { Description = new string('d', 101) }), e => e.Field == "FirmwareDesc");
        Assert.Contains(PackageService.Validate(Request() with { Files = [new PackageFileUpload("../x", Stream.Null)] }), e => e.Field == "MultiFiles.1.Name");
    }

    [Fact]
    public async Task Package_names_are_unique_and_the_module_must_exist()
    {
        await _h.ProductAsync();
        await _h.Packages.CreateAsync(Actor.System, Request());
        var dup = await Assert.ThrowsAsync<OtaException>(() => _h.Packages.CreateAsync(Actor.System, Request()));
        Assert.Equal("FirmwareNameExists", dup.Code);
        var module = await Assert.ThrowsAsync<OtaException>(() => _h.Packages.CreateAsync(Actor.System, Request("fw-x") with { ModuleName = "nope" }));
        Assert.Equal(OtaErrorKind.NotFound, module.Kind);
    }

    [Fact]
    public async Task A_package_with_a_running_batch_cannot_be_deleted()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var p = await _h.PackageAsync();
        var b = await _h.BatchAsync(p.Id);
        var e = await Assert.ThrowsAsync<OtaException>(() => _h.Packages.DeleteAsync(Actor.System, p.Id));
        Assert.Equal("FirmwareInUse", e.Code);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync("dev-000", 10);
        await _h.Engine.CancelBatchAsync(Actor.System, b.BatchId);
        // The batch is cancelled but its In upgrade task runs on: still in use.
        Assert.Equal("FirmwareInUse", (await Assert.ThrowsAsync<OtaException>(() => _h.Packages.DeleteAsync(Actor.System, p.Id))).Code);
        await _h.VersionAsync("dev-000", "2.0.0");
        await _h.Packages.DeleteAsync(Actor.System, p.Id);
        Assert.Null(await _h.Packages.FindAsync(Actor.System, p.Id));
        Assert.Empty(await _h.TasksAsync(b.BatchId));
    }

    private async Task<UpdatePackage?> FindByNameAsync(string name)
    {
        await using var db = _h.Database.CreateDbContext();
        return db.Packages.FirstOrDefault(p => p.Name == name);
    }

    /// <summary>A stream of zeros of a given length that allocates nothing: a "2 GB upload" for tests.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get; set; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - Position);
            Array.Clear(buffer, offset, n);
            Position += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
