using OtaConsole.Core.Api;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Persistence;

/// <summary>
/// A SignatureNonce is good once until it expires: in memory on one node, and in the database where several
/// nodes must refuse a request replayed to any of them.
/// </summary>
public sealed class ApiNonceTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    public static TheoryData<string> Stores => ["memory", "database"];

    private IApiNonces Store(string kind) => kind == "memory" ? new MemoryApiNonces() : new DatabaseApiNonces(_database);

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_nonce_is_good_once_until_it_expires_and_then_again(string kind)
    {
        var nonces = Store(kind);
        var until = Now.AddMinutes(30);

        Assert.True(await nonces.TryUseAsync("LTAI-a\nn-1", until, Now));
        Assert.False(await nonces.TryUseAsync("LTAI-a\nn-1", until, Now.AddMinutes(29)));
        Assert.True(await nonces.TryUseAsync("LTAI-b\nn-1", until, Now)); // another key's nonce of the same text
        Assert.True(await nonces.TryUseAsync("LTAI-a\nn-1", Now.AddMinutes(61), Now.AddMinutes(31)));
        Assert.False(await nonces.TryUseAsync("LTAI-a\nn-1", Now.AddMinutes(61), Now.AddMinutes(32)));
    }

    [Fact]
    public async Task A_request_replayed_to_another_node_is_refused_there()
    {
        var nodeA = new DatabaseApiNonces(_database);
        var nodeB = new DatabaseApiNonces(_database);
        var odd = "LTAI-a\n'; DROP TABLE \"ApiNonces\"; -- ünï";

        Assert.True(await nodeA.TryUseAsync(odd, Now.AddMinutes(30), Now));
        Assert.False(await nodeB.TryUseAsync(odd, Now.AddMinutes(30), Now.AddSeconds(1)));
    }

    [Fact]
    public async Task Nodes_racing_on_one_nonce_let_exactly_one_request_through()
    {
        var nodes = Enumerable.Range(0, 8).Select(_ => new DatabaseApiNonces(_database)).ToList();

        var results = await Task.WhenAll(nodes.Select(n => Task.Run(async () => await n.TryUseAsync("LTAI-a\nrace", Now.AddMinutes(30), Now))));

        Assert.Single(results, r => r);
    }
}
