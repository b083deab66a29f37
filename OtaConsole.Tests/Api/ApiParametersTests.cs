using OtaConsole.Core;
using OtaConsole.Core.Api;

namespace OtaConsole.Tests.Api;

/// <summary>Lists flattened as Alibaba's clients send them, and the error codes that name a parameter.</summary>
public sealed class ApiParametersTests
{
    private static ApiParameters P(params (string Name, string Value)[] values) => new(values.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void A_list_is_read_in_number_order_from_1()
    {
        var p = P(("SrcVersion.2", "b"), ("SrcVersion.1", "a"), ("SrcVersion.10", "j"), ("SrcVersion.3", "c"), ("SrcVersion.4", "d"),
            ("SrcVersion.5", "e"), ("SrcVersion.6", "f"), ("SrcVersion.7", "g"), ("SrcVersion.8", "h"), ("SrcVersion.9", "i"), ("SrcVersions.1", "other list"));
        Assert.Equal(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], p.List("SrcVersion", 10));
    }

    [Fact]
    public void A_list_with_a_gap_a_zero_or_too_many_items_is_refused_with_its_name()
    {
        Assert.Equal("InvalidSrcVersion", Assert.Throws<ApiException>(() => P(("SrcVersion.1", "a"), ("SrcVersion.3", "c")).List("SrcVersion", 10)).Code);
        Assert.Equal("InvalidSrcVersion", Assert.Throws<ApiException>(() => P(("SrcVersion.0", "a")).List("SrcVersion", 10)).Code);
        Assert.Equal("InvalidSrcVersion", Assert.Throws<ApiException>(() => P(("SrcVersion.x", "a")).List("SrcVersion", 10)).Code);
        Assert.Contains("at most 1", Assert.Throws<ApiException>(() => P(("SrcVersion.1", "a"), ("SrcVersion.2", "b")).List("SrcVersion", 1)).Message);
    }

    [Fact]
    public void Tags_are_read_as_Key_and_Value_pairs_and_a_half_pair_is_refused()
    {
        var tags = P(("Tag.1.Key", "k1"), ("Tag.1.Value", "v1"), ("Tag.2.Key", "k2"), ("Tag.2.Value", "v2")).Tags();
        Assert.Equal([("k1", "v1"), ("k2", "v2")], tags.Select(t => (t.Key, t.Value)));
        Assert.Equal("InvalidTag", Assert.Throws<ApiException>(() => P(("Tag.1.Key", "k1")).Tags()).Code);
        Assert.Empty(P().Tags());
    }

    [Fact]
    public void Items_of_a_list_of_records_are_numbered_by_a_field_every_item_has()
    {
        var p = P(("MultiFiles.1.Url", "u1"), ("MultiFiles.1.Name", "n1"), ("MultiFiles.2.Url", "u2"));
        Assert.Equal([1, 2], p.Items("MultiFiles", "Url"));
        Assert.True(p.HasList("MultiFiles"));
        Assert.False(p.HasList("Multi"));
    }

    [Theory]
    [InlineData("FirmwareId", "FirmwareId")]
    [InlineData("Tag.N.Key", "TagKey")]
    [InlineData("MultiFiles.1.Name", "MultiFilesName")]
    [InlineData("TargetDeviceName.N", "TargetDeviceName")]
    [InlineData("SrcVersion.12", "SrcVersion")]
    public void An_error_code_names_the_parameter_without_its_list_numbers(string field, string code)
    {
        Assert.Equal(code, FieldError.CodeName(field));
        Assert.Equal("Missing" + code, ApiException.Missing(field).Code);
    }

    [Theory]
    [InlineData("PageSize", "0")]
    [InlineData("PageSize", "1e3")]
    [InlineData("PageSize", "99999999999")]
    [InlineData("PageSize", " 5")]
    public void A_number_out_of_range_or_malformed_is_refused_with_its_range(string name, string value)
    {
        var e = Assert.Throws<ApiException>(() => P((name, value)).Int(name, 1, 100));
        Assert.Equal("InvalidPageSize", e.Code);
        Assert.Contains("1 to 100", e.Message);
    }
}
