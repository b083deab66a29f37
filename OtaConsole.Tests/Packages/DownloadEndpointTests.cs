using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Packages;

/// <summary>The firmware download endpoint over real HTTP: whole files, ranges (resume), expiry and tampering.</summary>
public sealed class DownloadEndpointTests : IAsyncLifetime
{
    private ConsoleHost _c = null!;
    private string _url = null!;
    private byte[] _content = null!;

    public async ValueTask InitializeAsync()
    {
        // A short link lifetime, so expiry needs seconds of fake time, not a day of scheduler ticks.
        _c = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Downloads:LinkLifetime"] = "00:00:30" });
        await _c.ProductAsync();
        var package = await _c.PackageAsync();
        _content = await File.ReadAllBytesAsync(_c.Services.GetRequiredService<PackageFileStore>().FullPath(package.Files[0].StoragePath));
        var f = package.Files[0];
        _url = _c.Services.GetRequiredService<DownloadLinks>().For(package.Id, new NoticeFile(f.Index, f.Name, f.Size, f.Md5, f.Sha256, f.Sign));
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task A_link_is_made_for_the_consoles_own_address_and_serves_the_whole_file_over_HTTP_1_1()
    {
        Assert.StartsWith(_c.BaseUrl + DownloadLinks.PathPrefix, _url);
        using var response = await _c.Http.GetAsync(_url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        Assert.Equal(_content.Length, response.Content.Headers.ContentLength);
        Assert.Equal(_content, await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(5, null)]
    [InlineData(3, 7L)]
    public async Task A_range_is_honoured_so_a_device_can_resume(long from, long? to)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _url);
        request.Headers.Range = new RangeHeaderValue(from, to);
        using var response = await _c.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var end = to ?? _content.Length - 1;
        Assert.Equal(end - from + 1, response.Content.Headers.ContentLength);
        Assert.Equal(_content[(int)from..(int)(end + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes {from}-{end}/{_content.Length}", response.Content.Headers.ContentRange!.ToString());
    }

    [Fact]
    public async Task An_expired_link_is_refused_with_403_and_no_bytes()
    {
        _c.Time.Advance(TimeSpan.FromSeconds(31));
        using var response = await _c.Http.GetAsync(_url);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("sig=", "sig=0")]
    [InlineData("expires=", "expires=9")]
    [InlineData("/0/", "/1/")]
    public async Task An_altered_link_is_refused_with_403_and_no_bytes(string part, string replacement)
    {
        var altered = _url.Replace(part, replacement, StringComparison.Ordinal);
        Assert.NotEqual(_url, altered);
        using var response = await _c.Http.GetAsync(altered);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_link_without_its_signature_is_refused()
    {
        using var response = await _c.Http.GetAsync(_url[.._url.IndexOf('?', StringComparison.Ordinal)]);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
