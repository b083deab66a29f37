using OtaConsole.Core.Security;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Components.Forms;
using OtaConsole.Components.Dialogs;
using OtaConsole.Components.Ota;
using OtaConsole.Components.Pages;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Console;

public sealed class UpdatePackagesPageTests : ConsoleTestContext
{
    [Fact]
    public async Task Each_package_offers_exactly_the_actions_its_status_allows()
    {
        await H.ProductAsync();
        var needsVerify = await H.PackageAsync("2.0.0", needToVerify: true, name: "Needs-verify");
        var ready = await H.PackageAsync("3.0.0", needToVerify: false, name: "Ready");
        var page = RenderInHost<OtaUpdate>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".packages-table td.package-name").Count));
        var rows = page.FindAll(".packages-table tbody tr").ToDictionary(r => r.QuerySelector(".package-name")!.TextContent.Trim());
        Assert.NotNull(rows["Needs-verify"].QuerySelector("button.verify"));
        Assert.Null(rows["Needs-verify"].QuerySelector("a.batch-update"));
        Assert.Contains("Unverified", rows["Needs-verify"].TextContent);
        Assert.Null(rows["Ready"].QuerySelector("button.verify"));
        Assert.Equal($"/ota/packages/{ready.Id}/batch", rows["Ready"].QuerySelector("a.batch-update")!.GetAttribute("href"));
        Assert.Contains("No verification needed", rows["Ready"].TextContent);
        Assert.Equal($"/ota/packages/{needsVerify.Id}", rows["Needs-verify"].QuerySelector("a.view")!.GetAttribute("href"));
    }

    [Fact]
    public async Task Packages_are_searched_by_name()
    {
        await H.ProductAsync();
        await H.PackageAsync("2.0.0", name: "Alpha-2");
        await H.PackageAsync("3.0.0", name: "Beta-3");
        var page = RenderInHost<OtaUpdate>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("td.package-name").Count));

        page.Find(".package-search input").Input("bet");
        H.Time.Advance(TimeSpan.FromMilliseconds(400));

        page.WaitForAssertion(() => Assert.Equal(["Beta-3"], page.FindAll("td.package-name").Select(td => td.TextContent.Trim())));
    }

    [Fact]
    public async Task The_package_list_keeps_its_place_in_the_address_and_names_product_and_running_batches()
    {
        await H.ProductAsync();
        await H.DevicesAsync(1);
        var packages = new List<UpdatePackage>();
        for (var i = 0; i < 23; i++)
        {
            packages.Add(await H.PackageAsync($"2.0.{i}", name: $"Pkg-{i:00}"));
            H.Time.Advance(TimeSpan.FromSeconds(1));
        }
        await H.BatchAsync(packages[0].Id);
        var nav = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        nav.NavigateTo("/ota?page=2");

        var page = RenderInHost<OtaUpdate>();

        // Newest first: the second page holds the three oldest, Pkg-00 with its running batch among them.
        page.WaitForAssertion(() => Assert.Equal(["Pkg-02", "Pkg-01", "Pkg-00"], page.FindAll("td.package-name").Select(td => td.TextContent.Trim())));
        Assert.All(page.FindAll("td.package-product"), td => Assert.Equal("Test product", td.TextContent.Trim()));
        var running = page.FindAll(".packages-table tbody tr").Single(r => r.TextContent.Contains("Batch running"));
        Assert.Equal("Pkg-00", running.QuerySelector(".package-name")!.TextContent.Trim());

        page.Find(".package-search input").Input("Pkg-1");
        H.Time.Advance(TimeSpan.FromMilliseconds(400));
        page.WaitForAssertion(() => Assert.Equal(10, page.FindAll("td.package-name").Count));
        Assert.Contains("search=Pkg-1", nav.Uri);
        Assert.DoesNotContain("page=", nav.Uri);

        nav.NavigateTo("/ota?search=Pkg-2");
        page.WaitForAssertion(() => Assert.Equal(["Pkg-22", "Pkg-21", "Pkg-20"], page.FindAll("td.package-name").Select(td => td.TextContent.Trim())));
    }

    [Fact]
    public async Task Adding_a_package_uploads_its_file_and_shows_the_digests()
    {
        await H.ProductAsync();
        var page = OpenAddPackage("Firmware-2", "2.0.0", "hello firmware");
        page.WaitForElement(".package-file");
        page.Find("button.upload").Click();

        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData("hello firmware"u8));
        page.WaitForAssertion(() => Assert.Contains(md5, page.Find(".uploaded-files").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var stored = Assert.Single((await new Core.Queries.PackageQueries(H.Database).ListAsync(Actor.System, new Core.Queries.PackageFilter())).Items);
        Assert.Equal(("Firmware-2", "2.0.0", 14L, PackageStatus.Unverified), (stored.Name, stored.DestVersion, stored.Files[0].Size, stored.Status));
    }

    [Fact]
    public async Task A_package_name_out_of_the_rules_is_refused_in_the_form()
    {
        await H.ProductAsync();
        var page = OpenAddPackage("-starts-with-dash", "2 0", "x");
        page.WaitForElement(".package-file");
        page.Find("button.upload").Click();

        page.WaitForAssertion(() => Assert.Contains("starting with a letter or digit", page.Markup));
        Assert.Contains("1-64 characters of A-Z", page.Markup);
        Assert.Equal(0, (await new Core.Queries.PackageQueries(H.Database).ListAsync(Actor.System, new Core.Queries.PackageFilter())).Total);
    }

    [Fact]
    public async Task A_wrong_signature_is_reported_and_nothing_is_stored()
    {
        await H.ProductAsync();
        var page = OpenAddPackage("Firmware-2", "2.0.0", "hello firmware");
        page.WaitForElement(".file-sign input").Change("00000000000000000000000000000000");
        page.Find("button.upload").Click();

        // Under the file's own signature field, in the form's words.
        page.WaitForAssertion(() => Assert.Contains("does not match file fw.bin", page.Find(".file-sign .mud-input-helper-text").TextContent));
        Assert.StartsWith("The MD5 signature given", page.Find(".file-sign .mud-input-helper-text").TextContent.Trim());
        Assert.DoesNotContain("FirmwareSign", page.Markup);
        Assert.Empty(page.FindAll(".mud-snackbar"));
        Assert.Equal(0, (await new Core.Queries.PackageQueries(H.Database).ListAsync(Actor.System, new Core.Queries.PackageFilter())).Total);
    }

    [Fact]
    public async Task The_form_says_when_no_file_is_chosen_and_when_custom_information_is_too_long_instead_of_cutting_it()
    {
        await H.ProductAsync();
        var page = OpenAddPackage("Firmware-2", "2.0.0", "hello firmware");
        page.WaitForElement(".package-file");

        // The choice emptied (the picker hands over no file), then too many chosen (MudBlazor hands over none at all).
        var picker = page.FindComponent<MudBlazor.MudFileUpload<IReadOnlyList<IBrowserFile>>>();
        await picker.InvokeAsync(() => picker.Instance.FilesChanged.InvokeAsync([]));
        page.WaitForAssertion(() => Assert.StartsWith("No file is chosen: a package has 1-20 files", page.Find(".files-message").TextContent));
        Assert.DoesNotContain("MultiFiles", page.Markup);
        Assert.True(page.Find("button.upload").HasAttribute("disabled"));
        page.FindComponent<InputFile>().UploadFiles(Enumerable.Range(0, 21).Select(i => InputFileContent.CreateFromText("x", $"f{i}.bin")).ToArray());
        page.WaitForAssertion(() => Assert.StartsWith("More than 20 files were chosen", page.Find(".files-message").TextContent));

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("x", "fw.bin"));
        var pasted = new string('a', 5000);
        page.Find(".package-udi textarea").Input(pasted);
        page.Find("button.upload").Click();

        page.WaitForAssertion(() => Assert.StartsWith("At most 4,096 characters; this is 5,000. Shorten it to upload.", page.Find(".package-udi .mud-input-helper-text").TextContent.Trim()));
        Assert.Equal(pasted, page.Find(".package-udi textarea").GetAttribute("value") ?? page.Find(".package-udi textarea").TextContent);
        Assert.Equal(0, (await new Core.Queries.PackageQueries(H.Database).ListAsync(Actor.System, new Core.Queries.PackageFilter())).Total);
    }

    /// <summary>The Add update package dialog, filled in, with one file chosen.</summary>
    private IRenderedComponent<TestHost> OpenAddPackage(string name, string version, string content)
    {
        var page = RenderInHost<OtaUpdate>();
        page.WaitForElement("button.add-package").Click();
        page.WaitForElement(".package-name input").Change(name);
        page.Find(".package-version input").Change(version);
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(content, "fw.bin"));
        return page;
    }
}

public sealed class VerifyDialogTests : ConsoleTestContext
{
    [Fact]
    public async Task Verifying_on_picked_devices_makes_the_package_Verifying()
    {
        await H.ProductAsync();
        await H.DevicesAsync(3);
        var package = await H.PackageAsync(needToVerify: true);
        var page = RenderInHost<VerifyPackageDialogHost>(p => p.Add(x => x.Package, package));
        page.WaitForElement("button.open").Click();

        var input = page.WaitForElement(".verify-device input");
        input.Input("dev-00");
        H.Time.Advance(TimeSpan.FromMilliseconds(500));
        page.WaitForElement(".mud-popover-open .mud-list-item").Click();
        page.WaitForAssertion(() => Assert.Single(page.FindAll(".verify-devices .mud-chip")));
        page.Find("button.start-verify").Click();

        page.WaitForAssertion(() => Assert.Equal(PackageStatus.Verifying, H.GetPackageAsync(package.Id).Result.Status));
    }

    [Fact]
    public async Task The_verify_dialog_shows_each_devices_presence_and_version_and_warns_of_offline_ones()
    {
        await H.ProductAsync();
        await H.DevicesAsync(1, prefix: "on");
        await H.DevicesAsync(1, online: false, prefix: "off");
        var package = await H.PackageAsync(needToVerify: true);
        var page = RenderInHost<VerifyPackageDialogHost>(p => p.Add(x => x.Package, package));
        page.WaitForElement("button.open").Click();

        foreach (var name in new[] { "on-000", "off-000" })
        {
            page.WaitForElement(".verify-device input").Input(name);
            H.Time.Advance(TimeSpan.FromMilliseconds(500));
            // The picker itself says whether the device is online and which version it runs.
            var suggestion = page.WaitForElement(".mud-popover-open .mud-list-item");
            Assert.Equal($"{name} · {(name.StartsWith("on", StringComparison.Ordinal) ? "online" : "offline")} · 1.0.0", suggestion.QuerySelector(".suggestion")!.TextContent.Trim());
            suggestion.Click();
        }

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".verify-devices .mud-chip").Count));
        Assert.Contains("on-000 · online · 1.0.0", page.Find(".verify-devices .online").TextContent, StringComparison.Ordinal);
        Assert.Contains("off-000 · offline · 1.0.0", page.Find(".verify-devices .offline").TextContent, StringComparison.Ordinal);
        Assert.Contains("1 of the test devices is offline", page.Find(".verify-offline").TextContent, StringComparison.Ordinal);
        Assert.Contains("30 min", page.Find(".verify-offline").TextContent, StringComparison.Ordinal);
    }
}
