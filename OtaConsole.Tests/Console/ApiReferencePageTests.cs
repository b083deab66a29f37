using Bunit;
using OtaConsole.Components.Pages;
using OtaConsole.Core.Api;

namespace OtaConsole.Tests.Console;

/// <summary>The API page: whether the API is on, how to turn it on, and every operation with its parameters.</summary>
public sealed class ApiReferencePageTests : ConsoleTestContext
{
    private void Keys(params ApiAccessKey[] keys) => ApiOptions.CurrentValue = new ApiOptions { AccessKeys = [.. keys] };

    [Fact]
    public void Without_a_key_it_says_the_API_is_off_and_how_to_add_one()
    {
        Keys();
        var page = RenderInHost<ApiReference>();

        var off = page.Find(".api-off").TextContent;
        Assert.Contains("no access key is configured", off);
        Assert.Contains("Ota:Api:AccessKeys", off);
        Assert.Contains("Ota__Api__AccessKeys__0__Secret", off);
        Assert.Empty(page.FindAll(".api-on"));
    }

    [Fact]
    public void With_keys_it_lists_their_IDs_and_roles_and_never_a_secret()
    {
        Keys(new ApiAccessKey { Id = "LTAI-ops", Secret = "s3cret-value", Role = ApiRole.Full }, new ApiAccessKey { Id = "LTAI-dash", Secret = "other-secret", Role = ApiRole.ReadOnly });
        var page = RenderInHost<ApiReference>();

        Assert.Equal(["LTAI-ops · Full", "LTAI-dash · ReadOnly"], page.FindAll(".api-key").Select(k => k.TextContent.Trim()));
        Assert.DoesNotContain("s3cret-value", page.Markup);
        Assert.DoesNotContain("other-secret", page.Markup);
        Assert.Contains("http://localhost/api", page.Find(".api-endpoint").TextContent);
    }

    [Fact]
    public void Every_operation_is_listed_with_its_parameters_and_an_example_and_the_list_can_be_filtered()
    {
        Keys();
        var page = RenderInHost<ApiReference>();

        var actions = page.FindAll(".api-action").Select(a => a.TextContent.Trim()).ToList();
        Assert.Equal(OtaApi.Operations.Select(o => o.Action), actions);
        Assert.Contains("ListOTATaskByJob", actions);
        Assert.Equal(32, actions.Count); // Alibaba's 28 and ours: PauseOTAJob, ResumeOTAJob, StartNextOTAJobWave, RollbackOTAJob

        page.Find(".api-filter input").Input("taskbyjob");
        page.WaitForAssertion(() => Assert.Equal(["ListOTATaskByJob", "CancelOTATaskByJob"],
            page.FindAll(".api-action").Select(a => a.TextContent.Trim()).Order(StringComparer.Ordinal).Reverse()));
    }

    [Fact]
    public void An_operations_example_names_its_required_parameters()
    {
        Keys();
        var page = RenderInHost<ApiReference>();
        page.Find(".api-filter input").Input("CancelOTATaskByDevice");
        page.WaitForAssertion(() => Assert.Single(page.FindAll(".api-operation")));

        page.Find(".api-operation .mud-expand-panel-header").Click();

        page.WaitForAssertion(() => Assert.Contains("client.request('CancelOTATaskByDevice', { ProductKey: '…', FirmwareId: '…', DeviceName: ['…'] }", page.Markup));
        Assert.Contains("1-200 devices, each once.", page.Find(".api-parameters").TextContent);
    }
}
