using OtaConsole.Core;
using OtaConsole.Core.Packages;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Packages;

/// <summary>A node that cannot write the packages folder (with several nodes, the one they share) stops at start, saying which folder.</summary>
public sealed class PackageFolderTests
{
    [Fact]
    public void A_packages_folder_that_cannot_be_written_is_refused_with_its_path()
    {
        var folder = Directory.CreateTempSubdirectory("ota-blocked-").FullName;
        // A file where the packages folder should be: no permission trick, so it holds for root too.
        File.WriteAllText(Path.Combine(folder, "packages"), "not a folder");
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => PackageFileStore.EnsureWritable(new OtaOptions { DataDirectory = folder }));
            Assert.Contains(Path.Combine(folder, "packages"), e.Message);
            Assert.Contains("Ota:DataDirectory", e.Message);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public async Task The_console_does_not_start_on_a_packages_folder_it_cannot_write()
    {
        var folder = Directory.CreateTempSubdirectory("ota-blocked-").FullName;
        File.WriteAllText(Path.Combine(folder, "packages"), "not a folder");
        try
        {
            var e = await Record.ExceptionAsync(async () => await (await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:DataDirectory"] = folder })).DisposeAsync());
            Assert.NotNull(e);
            Assert.Contains("cannot be written", Flatten(e));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void A_writable_folder_is_left_as_it_was_apart_from_being_created()
    {
        var folder = Path.Combine(Directory.CreateTempSubdirectory("ota-fresh-").FullName, "data");
        PackageFileStore.EnsureWritable(new OtaOptions { DataDirectory = folder });
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(folder, "packages")));
        Directory.Delete(Path.GetDirectoryName(folder)!, true);
    }

    private static string Flatten(Exception e) => e.ToString();
}

/// <summary>Several nodes on one shared data folder make their link-signing key once, together, and all use that one.</summary>
public sealed class SharedSigningKeyTests
{
    [Fact]
    public async Task Nodes_starting_together_on_one_data_folder_end_up_with_one_signing_key()
    {
        var folder = Directory.CreateTempSubdirectory("ota-shared-").FullName;
        try
        {
            using var go = new ManualResetEventSlim();
            var loads = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                go.Wait();
                return SigningKeys.LoadOrCreate(null, folder, "download-signing.key");
            })).ToList();
            go.Set();
            var keys = await Task.WhenAll(loads);

            Assert.Single(keys.Select(Convert.ToBase64String).Distinct());
            Assert.Equal(Convert.ToBase64String(keys[0]), File.ReadAllText(Path.Combine(folder, "download-signing.key")).Trim());
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "download-signing.key")));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void A_configured_key_wins_and_no_file_is_made()
    {
        var folder = Directory.CreateTempSubdirectory("ota-shared-").FullName;
        Assert.Equal("configured"u8.ToArray(), SigningKeys.LoadOrCreate("configured", folder, "download-signing.key"));
        Assert.Empty(Directory.GetFiles(folder));
        Directory.Delete(folder, true);
    }
}
