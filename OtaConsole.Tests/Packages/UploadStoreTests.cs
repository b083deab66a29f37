using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OtaConsole.Core;
using OtaConsole.Core.Packages;

namespace OtaConsole.Tests.Packages;

public sealed class UploadStoreTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ota-uploads-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_data, true);

    [Fact]
    public void A_ticket_names_the_consoles_own_address_and_a_key_that_could_not_be_loaded_is_loaded_again_next_time()
    {
        // The data folder is unusable at first (a file stands where it should be), then fixed.
        var data = Path.Combine(_data, "later");
        File.WriteAllText(data, "not a folder");
        var store = new UploadStore(Options.Create(new OtaOptions { DataDirectory = data, PublicUrl = "http://console.test:5080/" }), _time);
        Assert.ThrowsAny<IOException>(() => store.Issue("bin"));

        File.Delete(data);
        var ticket = store.Issue("bin");
        Assert.Equal("http://console.test:5080/api/uploads", ticket.Host);
        Assert.Equal($"{ticket.Host}/{ticket.Key}", ticket.FirmwareUrl);
    }
}
