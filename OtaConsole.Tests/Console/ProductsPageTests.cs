using OtaConsole.Core.Security;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Components.Pages;
using OtaConsole.Core.Devices;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Console;

public sealed class ProductsPageTests : ConsoleTestContext
{
    [Fact]
    public void Without_products_the_page_says_to_create_one()
    {
        var page = RenderInHost<Products>();
        page.WaitForAssertion(() => Assert.Contains("No product yet", page.Markup));
    }

    [Fact]
    public async Task Creating_a_product_with_a_bad_key_shows_the_rule_and_creates_nothing()
    {
        var page = RenderInHost<Products>();
        page.Find("button.new-product").Click();
        page.WaitForElement(".product-name input").Change("Thermostat");
        page.Find(".product-key input").Change("bad key!");
        page.Find("button.create-product").Click();

        page.WaitForAssertion(() => Assert.Contains("1-32 letters and digits.", page.Markup));
        Assert.Empty(await H.Catalog.ListProductsAsync(Actor.System));
    }

    [Fact]
    public async Task Creating_a_product_keeps_a_given_ProductKey_and_shows_its_default_module()
    {
        var page = RenderInHost<Products>();
        page.Find("button.new-product").Click();
        page.WaitForElement(".product-name input").Change("Thermostat");
        page.Find(".product-key input").Change("a1Imported9");
        page.Find("button.create-product").Click();

        page.WaitForAssertion(() => Assert.Contains("Thermostat (a1Imported9)", page.Markup));
        Assert.Equal("a1Imported9", Assert.Single(await H.Catalog.ListProductsAsync(Actor.System)).ProductKey);
    }

    [Fact]
    public async Task A_pasted_device_list_is_registered_with_its_secrets_shown_once_and_bad_lines_reported()
    {
        await H.ProductAsync();
        var page = RenderInHost<Products>();
        page.WaitForElement("button.register-devices").Click();
        page.WaitForElement(".device-lines textarea").Change("dev-0001\nbad/name\ndev-0002,mySecret1234\n\n");
        page.Find("button.register").Click();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".registered tbody tr").Count));
        Assert.Contains("mySecret1234", page.Find(".registered").TextContent);
        Assert.Contains("'bad/name'", page.Find(".rejected").TextContent);
        Assert.Equal("mySecret1234", (await H.Catalog.FindDeviceAsync(Actor.System, EngineHarness.ProductKey, "dev-0002"))!.DeviceSecret);
        page.Find("button.done").Click();
        page.WaitForAssertion(() => Assert.Equal(["dev-0001", "dev-0002"], page.FindAll(".devices-table td.device-name").Select(td => td.TextContent)));
    }

    [Fact]
    public async Task The_device_table_pages_searches_and_filters_by_presence()
    {
        await H.ProductAsync();
        await H.DevicesAsync(15, online: true, prefix: "on");
        await H.DevicesAsync(10, online: false, prefix: "off");
        var page = RenderInHost<Products>();

        page.WaitForAssertion(() => Assert.Equal(20, page.FindAll(".devices-table td.device-name").Count));
        Assert.Contains("1-20 of 25", page.Markup);

        page.Find(".device-search input").Input("off-00");
        H.Time.Advance(TimeSpan.FromMilliseconds(400)); // past the search box's debounce (MudBlazor uses the injected TimeProvider)
        page.WaitForAssertion(() => Assert.Equal(10, page.FindAll(".devices-table td.device-name").Count));
        Assert.All(page.FindAll(".presence"), chip => Assert.Equal("Offline", chip.TextContent.Trim()));
    }

    [Fact]
    public async Task The_device_tables_search_page_and_filter_live_in_the_address()
    {
        await H.ProductAsync();
        await H.DevicesAsync(25, online: true, prefix: "on");
        await H.DevicesAsync(10, online: false, prefix: "off");
        var nav = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        nav.NavigateTo($"/products?product={EngineHarness.ProductKey}&online=online&page=2");

        var page = RenderInHost<Products>();

        page.WaitForAssertion(() => Assert.Equal(["on-020", "on-021", "on-022", "on-023", "on-024"], page.FindAll(".devices-table td.device-name").Select(td => td.TextContent.Trim())));
        page.Find(".device-search input").Input("on-01");
        H.Time.Advance(TimeSpan.FromMilliseconds(400));
        page.WaitForAssertion(() => Assert.Contains("search=on-01", nav.Uri));
        Assert.Contains("online=online", nav.Uri);
        Assert.DoesNotContain("page=", nav.Uri);

        nav.NavigateTo($"/products?product={EngineHarness.ProductKey}&online=offline");
        page.WaitForAssertion(() => Assert.Equal(10, page.FindAll(".devices-table td.device-name").Count));
        Assert.All(page.FindAll(".presence"), chip => Assert.Equal("Offline", chip.TextContent.Trim()));
    }

    [Fact]
    public async Task A_quarantined_device_says_until_when_and_an_operator_releases_it()
    {
        await H.ProductAsync();
        await H.DevicesAsync(2);
        await using (var db = H.Database.CreateDbContext())
        {
            var d = db.Devices.Single(x => x.DeviceName == "dev-001");
            d.QuarantinedUntil = H.Now.AddHours(2);
            d.QuarantineReason = "its updates failed 3 times within 1 day(s)";
            await db.SaveChangesAsync();
        }
        var page = RenderInHost<Products>();

        page.WaitForAssertion(() => Assert.Equal("Quarantined until 2026-11-27 10:00:00 UTC", page.Find(".quarantined").TextContent.Trim()));
        page.Find("button.release-device").Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll(".quarantined")));
        await using var check = H.Database.CreateDbContext();
        Assert.Null(check.Devices.Single(x => x.DeviceName == "dev-001").QuarantinedUntil);
    }

    [Fact]
    public async Task A_device_coming_online_shows_without_a_reload()
    {
        await H.ProductAsync();
        await H.DevicesAsync(1, online: false);
        var page = RenderInHost<Products>();
        page.WaitForAssertion(() => Assert.Equal("Offline", page.Find(".presence").TextContent.Trim()));

        await H.ReportAsync(new DeviceConnected(EngineHarness.Key("dev-000")));

        page.WaitForAssertion(() => Assert.Equal("Online", page.Find(".presence").TextContent.Trim()));
    }

    [Fact]
    public async Task Modules_are_listed_and_the_default_one_cannot_be_deleted()
    {
        await H.ProductAsync();
        var page = RenderInHost<Products>();
        page.WaitForElement(".mud-tab", TimeSpan.FromSeconds(5));
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("OTA modules")).Click();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".modules-table tbody tr").Count));
        Assert.Single(page.FindAll(".modules-table button[aria-label^='Delete module']"));
        Assert.Contains("Delete module MCU", page.Find(".modules-table button[aria-label^='Delete module']").GetAttribute("aria-label"));
    }
}
