using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>A whole console with two API keys (Full and ReadOnly), fake time, and a client signing with the Full key.</summary>
public abstract class ApiTestBase : IAsyncLifetime
{
    protected ConsoleHost C { get; private set; } = null!;
    protected AlibabaRpc Api { get; private set; } = null!;

    protected virtual Dictionary<string, string?> Settings => ConsoleHost.ApiKeys();

    public async ValueTask InitializeAsync()
    {
        C = await ConsoleHost.StartAsync(Settings);
        Api = C.Rpc();
        await SetUpAsync();
    }

    /// <summary>What every test of the class starts from (products, devices, packages), made once the console runs.</summary>
    protected virtual Task SetUpAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync() => await C.DisposeAsync();
}
