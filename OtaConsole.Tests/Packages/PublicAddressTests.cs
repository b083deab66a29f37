using System.Net;

namespace OtaConsole.Tests.Packages;

public sealed class PublicAddressTests
{
    [Theory]
    [InlineData(new[] { "http://127.0.0.1:5080" }, "http://127.0.0.1:5080")]
    [InlineData(new[] { "http://[::]:80", "http://127.0.0.1:5080" }, "http://127.0.0.1:5080")] // not the download listener
    [InlineData(new[] { "http://[::1]:5080" }, "http://[::1]:5080")]
    public void The_main_address_is_the_first_that_is_not_the_legacy_download_port(string[] listening, string expected) =>
        Assert.Equal(expected, PublicAddress.MainAddress(listening));

    [Theory]
    [InlineData("http://0.0.0.0:5080")]
    [InlineData("http://*:5080")]
    [InlineData("http://[::]:5080")]
    public void A_wildcard_host_becomes_the_machines_name(string listening) =>
        Assert.Equal($"http://{Dns.GetHostName()}:5080", PublicAddress.MainAddress([listening]));

    [Fact]
    public void No_address_gives_none() => Assert.Null(PublicAddress.MainAddress([]));
}
