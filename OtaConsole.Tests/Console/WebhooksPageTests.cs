using Bunit;
using OtaConsole.Components.Pages;
using OtaConsole.Core.Security;
using OtaConsole.Core.Webhooks;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Console;

/// <summary>The Webhooks page on the real service, sending to a real receiver.</summary>
public sealed class WebhooksPageTests : ConsoleTestContext, IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await H.ProductAsync();
    }

    public new async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public void An_admin_adds_a_subscription_tests_it_and_reads_its_delivery_log()
    {
        SignIn.As(OperatorRole.Admin);
        var page = RenderInHost<OtaConsole.Components.Pages.Webhooks>();
        page.Find(".hook-name input").Change("chat");
        page.Find(".hook-url input").Change(_receiver.Url);
        page.Find(".hook-secret input").Change(_receiver.Secret);
        page.Find("button.create-hook").Click();
        page.WaitForAssertion(() => Assert.Equal("chat", page.Find(".hook-row-name").TextContent));
        Assert.Equal("on", page.Find(".hook-state").TextContent);

        page.Find("button.ping-hook").Click();
        page.WaitForAssertion(() => Assert.Contains("HTTP 200", page.Find(".ping-result").TextContent));
        Assert.True(Assert.Single(_receiver.Requests).SignatureValid);

        page.Find("button.show-deliveries").Click();
        page.WaitForAssertion(() => Assert.Equal("Delivered", page.Find(".deliveries-table .delivery-status").TextContent));
    }

    [Fact]
    public void A_bad_url_is_shown_under_its_field_and_nothing_is_added()
    {
        SignIn.As(OperatorRole.Admin);
        var page = RenderInHost<OtaConsole.Components.Pages.Webhooks>();
        page.Find(".hook-name input").Change("chat");
        page.Find(".hook-url input").Change("ftp://example.com/x");
        page.Find(".hook-secret input").Change("a-long-enough-secret");
        page.Find("button.create-hook").Click();
        page.WaitForAssertion(() => Assert.Contains("http or https", page.Find(".hook-url").TextContent));
        Assert.Empty(page.FindAll(".hook-row-name"));
    }
}
