using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OtaConsole.Core;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Tests.Packages;

public sealed class DownloadLinksTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ota-links-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private static readonly NoticeFile File0 = new(0, "fw 2.bin", 10, "m", "s", "m");

    public void Dispose() => Directory.Delete(_data, true);

    private DownloadLinks Links(string? key = null, string publicBaseUrl = "http://dl.example:8080/", bool legacyPort80 = false, string? data = null) => new(
        Options.Create(new DownloadOptions { PublicBaseUrl = publicBaseUrl, SigningKey = key, LegacyPort80 = legacyPort80 }),
        Options.Create(new OtaOptions { DataDirectory = data ?? _data }), _time);

    private static (string Package, int Index, string Expires, string Sig) Parts(string url)
    {
        var uri = new Uri(url);
        var segs = uri.AbsolutePath.Split('/');
        var q = System.Web.HttpUtility.ParseQueryString(uri.Query);
        return (segs[3], int.Parse(segs[4]), q["expires"]!, q["sig"]!);
    }

    [Fact]
    public void A_link_points_at_the_public_address_and_is_valid_until_it_expires()
    {
        var links = Links();
        var url = links.For("PKG1", File0);
        Assert.StartsWith("http://dl.example:8080/ota/download/PKG1/0/fw%202.bin?expires=", url);
        var (p, i, e, s) = Parts(url);
        Assert.True(links.IsValid(p, i, e, s));
        _time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.True(links.IsValid(p, i, e, s));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(links.IsValid(p, i, e, s));
    }

    [Fact]
    public void An_altered_link_is_refused()
    {
        var links = Links();
        var (p, i, e, s) = Parts(links.For("PKG1", File0));
        Assert.False(links.IsValid("PKG2", i, e, s));
        Assert.False(links.IsValid(p, 1, e, s));
        Assert.False(links.IsValid(p, i, (long.Parse(e) + 3600).ToString(), s));
        Assert.False(links.IsValid(p, i, e, s[..^1] + (s[^1] == '0' ? '1' : '0')));
        Assert.False(links.IsValid(p, i, e, null));
        Assert.False(links.IsValid(p, i, "not-a-number", s));
        Assert.False(links.IsValid(p, i, "99999999999999999999", s));
    }

    [Fact]
    public void The_key_survives_a_restart_and_a_configured_key_is_used_as_given()
    {
        var url = Links().For("PKG1", File0);
        var (p, i, e, s) = Parts(url);
        Assert.True(Links().IsValid(p, i, e, s)); // a new instance reads the stored key
        Assert.False(Links("configured-key").IsValid(p, i, e, s));
        var (p2, i2, e2, s2) = Parts(Links("configured-key").For("PKG1", File0));
        Assert.True(Links("configured-key").IsValid(p2, i2, e2, s2));
    }

    [Theory]
    [InlineData("http://dl.example:8080/", "http://dl.example/ota/download/")]
    [InlineData("http://127.0.0.1:15190", "http://127.0.0.1/ota/download/")]
    [InlineData("http://dl.example", "http://dl.example/ota/download/")]
    [InlineData("http://dl.example:80/ota-console/", "http://dl.example/ota-console/ota/download/")]
    public void With_the_legacy_listener_links_carry_no_port(string publicBaseUrl, string expected)
    {
        var url = Links(publicBaseUrl: publicBaseUrl, legacyPort80: true).For("PKG1", File0);
        Assert.StartsWith(expected + "PKG1/0/", url);
        Assert.Null(new DownloadOptions { PublicBaseUrl = publicBaseUrl, LegacyPort80 = true }.AddressProblem());
    }

    [Theory]
    [InlineData("http://dl.example:80", "http://dl.example/ota/download/")]
    [InlineData("https://dl.example:443/", "https://dl.example/ota/download/")]
    [InlineData("http://[::1]:8080", "http://[::1]:8080/ota/download/")]
    public void A_link_never_names_the_schemes_default_port(string publicBaseUrl, string expected) =>
        Assert.StartsWith(expected, Links(publicBaseUrl: publicBaseUrl).For("PKG1", File0));

    [Theory]
    [InlineData("http://dl.example:8080", false, "LegacyPort80=true")]
    [InlineData("https://dl.example", true, "port 443")]
    [InlineData("dl.example:8080", false, "not an http:// or https:// address")]
    public void An_address_the_port_less_SDKs_cannot_use_is_named_with_the_setting_to_change(string publicBaseUrl, bool legacyPort80, string says)
    {
        var problem = new DownloadOptions { PublicBaseUrl = publicBaseUrl, LegacyPort80 = legacyPort80 }.AddressProblem();
        Assert.NotNull(problem);
        Assert.Contains(says, problem);
        Assert.Contains("Ota:Downloads:", problem);
    }

    [Fact]
    public void A_port_less_http_address_is_fine_without_the_legacy_listener() =>
        Assert.Null(new DownloadOptions { PublicBaseUrl = "http://dl.example" }.AddressProblem());

    [Fact]
    public void A_key_that_could_not_be_loaded_is_loaded_again_next_time()
    {
        // The data folder is unusable at first (a file stands where it should be), then fixed.
        var data = Path.Combine(_data, "later");
        System.IO.File.WriteAllText(data, "not a folder");
        var links = Links(data: data);
        Assert.ThrowsAny<IOException>(() => links.For("PKG1", File0));

        System.IO.File.Delete(data);
        var (p, i, e, s) = Parts(links.For("PKG1", File0));
        Assert.True(links.IsValid(p, i, e, s));
    }
}
