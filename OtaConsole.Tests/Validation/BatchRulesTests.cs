using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Validation;

namespace OtaConsole.Tests.Validation;

/// <summary>The bounds of every batch option: one in-range and one out-of-range value each, and the field the error names.</summary>
public sealed class BatchRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    private static UpdatePackage Package(PackageType type = PackageType.Full, long size = 1000, int files = 1) => new()
    {
        Id = "P",
        ProductKey = "pk",
        Name = "fw",
        DestVersion = "2.0.0",
        SrcVersion = type == PackageType.Differential ? "1.0.0" : null,
        Type = type,
        Files = Enumerable.Range(0, files).Select(i => new PackageFile { PackageId = "P", Index = i, Name = $"f{i}", Size = size, Md5 = "", Sha256 = "", Sign = "", StoragePath = "" }).ToList(),
    };

    private static CreateBatchRequest Ok => new() { PackageId = "P" };

    private static List<FieldError> Check(CreateBatchRequest r, UpdatePackage? p = null) => BatchRules.Validate(r, p ?? Package(), Now);

    private static void Valid(CreateBatchRequest r, UpdatePackage? p = null) => Assert.Empty(Check(r, p));

    private static void Invalid(CreateBatchRequest r, string field, string? messagePart = null, UpdatePackage? p = null)
    {
        var errors = Check(r, p);
        var e = Assert.Single(errors, x => x.Field == field);
        if (messagePart is not null)
            Assert.Contains(messagePart, e.Message);
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(100_000, true)]
    [InlineData(9, false)]
    [InlineData(100_001, false)]
    [InlineData(0, false)]
    [InlineData(-5, false)]
    public void Constant_push_rate_is_10_to_100000_per_minute(int rate, bool ok)
    {
        var r = Ok with { PushRate = PushRate.Constant(rate) };
        if (ok) Valid(r); else Invalid(r, "MaximumPerMinute", "10-100000 devices per minute");
    }

    [Theory]
    [InlineData(1.1, true)]
    [InlineData(5.0, true)]
    [InlineData(1.09, false)]
    [InlineData(5.01, false)]
    [InlineData(double.NaN, false)]
    public void Ramp_factor_is_1_1_to_5(double factor, bool ok)
    {
        var r = Ok with { PushRate = PushRate.Variable(100, factor, 50, RampCriterion.Pushed, 1000) };
        if (ok) Valid(r); else Invalid(r, "RampIncrementFactor", "1.1-5");
    }

    [Fact]
    public void Ramp_base_step_and_ceiling_are_checked()
    {
        Invalid(Ok with { PushRate = PushRate.Variable(5, 2, 50, RampCriterion.Pushed, 1000) }, "RampBaseRate");
        Invalid(Ok with { PushRate = PushRate.Variable(2000, 2, 50, RampCriterion.Pushed, 1000) }, "RampBaseRate", "above its maximum");
        Invalid(Ok with { PushRate = PushRate.Variable(100, 2, 0, RampCriterion.Pushed, 1000) }, "RampStep");
        Invalid(Ok with { PushRate = PushRate.Variable(100, 2, 10, RampCriterion.Pushed, 200_000) }, "MaximumPerMinute");
        Invalid(Ok with { PushRate = PushRate.Variable(100, 2, 10, RampCriterion.Pushed, 1000) with { RampCriterion = null } }, "RampCriterion");
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(1440, true)]
    [InlineData(0, false)]
    [InlineData(1441, false)]
    public void Timeout_is_1_to_1440_minutes(int minutes, bool ok)
    {
        var r = Ok with { TimeoutMinutes = minutes };
        if (ok) Valid(r); else Invalid(r, "TimeoutInMinutes", "1-1440");
    }

    [Theory]
    [InlineData(0, 1, null, true)]
    [InlineData(10, 2, null, true)]
    [InlineData(1440, 5, null, true)]
    [InlineData(30, 5, 60, true)]
    [InlineData(60, 1, 60, false)]
    [InlineData(15, 1, null, false)]
    [InlineData(10, 3, null, false)]
    public void Retry_interval_and_count_come_from_fixed_lists_and_the_interval_is_below_the_timeout(int interval, int count, int? timeout, bool ok)
    {
        var errors = Check(Ok with { RetryIntervalMinutes = interval, RetryCount = count, TimeoutMinutes = timeout });
        Assert.Equal(ok, errors.Count == 0);
    }

    [Fact]
    public void Retry_interval_and_count_go_together()
    {
        Invalid(Ok with { RetryIntervalMinutes = 10 }, "RetryCount");
        Invalid(Ok with { RetryCount = 2 }, "RetryInterval");
    }

    [Fact]
    public void Schedule_start_is_5_minutes_to_7_days_ahead_and_finish_1_hour_to_30_days_after_it()
    {
        Valid(Ok with { ScheduleTime = Now.AddMinutes(5) });
        Valid(Ok with { ScheduleTime = Now.AddDays(7) });
        Invalid(Ok with { ScheduleTime = Now.AddMinutes(4) }, "ScheduleTime");
        Invalid(Ok with { ScheduleTime = Now.AddDays(7).AddMinutes(1) }, "ScheduleTime");
        Valid(Ok with { ScheduleTime = Now.AddHours(1), ScheduleFinishTime = Now.AddHours(2) });
        Valid(Ok with { ScheduleTime = Now.AddHours(1), ScheduleFinishTime = Now.AddHours(1).AddDays(30) });
        Invalid(Ok with { ScheduleTime = Now.AddHours(1), ScheduleFinishTime = Now.AddHours(1).AddMinutes(59) }, "ScheduleFinishTime");
        Invalid(Ok with { ScheduleTime = Now.AddHours(1), ScheduleFinishTime = Now.AddHours(1).AddDays(30).AddMinutes(1) }, "ScheduleFinishTime");
    }

    [Fact]
    public void Tags_are_at_most_10_with_keys_of_1_to_30_letters_digits_dots_and_values_of_1_to_1024()
    {
        static BatchTag T(string k, string v) => new() { Key = k, Value = v };
        Valid(Ok with { Tags = Enumerable.Range(0, 10).Select(i => T($"key.{i}", "v")).ToList() });
        Invalid(Ok with { Tags = Enumerable.Range(0, 11).Select(i => T($"k{i}", "v")).ToList() }, "Tag.N", "at most 10");
        Valid(Ok with { Tags = [T(new string('k', 30), new string('v', 1024))] });
        Invalid(Ok with { Tags = [T(new string('k', 31), "v")] }, "Tag.1.Key");
        Invalid(Ok with { Tags = [T("", "v")] }, "Tag.1.Key");
        Invalid(Ok with { Tags = [T("a-b", "v")] }, "Tag.1.Key");
        Invalid(Ok with { Tags = [T("k", new string('v', 1025))] }, "Tag.1.Value");
        Invalid(Ok with { Tags = [T("k", "")] }, "Tag.1.Value");
        Invalid(Ok with { Tags = [T("k", "a"), T("k", "b")] }, "Tag.2.Key", "twice");
        Invalid(Ok with { Tags = Enumerable.Range(0, 5).Select(i => T($"k{i}", new string('v', 1000))).ToList() }, "Tag.N", "4096");
    }

    [Fact]
    public void Source_versions_are_at_most_10_unique_well_formed_versions()
    {
        Valid(Ok with { SrcVersions = Enumerable.Range(0, 10).Select(i => $"1.{i}").ToList() });
        Assert.Contains(Check(Ok with { SrcVersions = Enumerable.Range(0, 11).Select(i => $"1.{i}").ToList() }), e => e.Field == "SrcVersion.N");
        Invalid(Ok with { SrcVersions = ["1.0", "1.0"] }, "SrcVersion.N", "unique");
        Invalid(Ok with { SrcVersions = ["1.0 beta"] }, "SrcVersion.N");
    }

    [Theory]
    [InlineData("33.333", true)]
    [InlineData("100", true)]
    [InlineData("0.001", true)]
    [InlineData("0", false)]
    [InlineData("100.001", false)]
    [InlineData("1.2345", false)]
    [InlineData("-1", false)]
    [InlineData("abc", false)]
    public void Gray_percentage_is_above_0_up_to_100_with_3_decimals(string percent, bool ok)
    {
        var r = Ok with { Target = TargetSelection.Gray, GrayPercent = percent };
        if (ok) Valid(r); else Invalid(r, "GrayPercent");
    }

    [Fact]
    public void Specific_devices_are_named_and_do_not_take_source_versions()
    {
        Valid(Ok with { Target = TargetSelection.Specific, DeviceNames = ["dev-1"] });
        Invalid(Ok with { Target = TargetSelection.Specific }, "TargetDeviceName.N");
        Invalid(Ok with { Target = TargetSelection.Specific, DeviceNames = ["dev-1"], SrcVersions = ["1.0"] }, "SrcVersion.N");
        Invalid(Ok with { DeviceNames = ["dev-1"] }, "TargetDeviceName.N");
    }

    [Fact]
    public void A_group_batch_names_its_group()
    {
        Invalid(Ok with { Target = TargetSelection.Group }, "GroupId");
        Valid(Ok with { Target = TargetSelection.Group, GroupId = "g1" });
    }

    [Fact]
    public void A_verify_batch_has_1_to_10_named_devices_no_schedule_and_no_retry()
    {
        var v = CreateBatchRequest.Verify("P", "d1");
        Valid(v);
        Invalid(v with { DeviceNames = Enumerable.Range(0, 11).Select(i => $"dev{i}").ToList() }, "TargetDeviceName.N", "1-10");
        Invalid(v with { ScheduleTime = Now.AddHours(1) }, "ScheduleTime");
        Invalid(v with { RetryIntervalMinutes = 10, RetryCount = 1 }, "RetryInterval");
    }

    [Fact]
    public void A_dynamic_batch_of_a_full_package_needs_source_versions_and_no_schedule()
    {
        var d = Ok with { Selection = SelectionType.Dynamic };
        Invalid(d, "SrcVersion.N");
        Valid(d with { SrcVersions = ["1.0"] });
        Invalid(d with { SrcVersions = ["1.0"], ScheduleTime = Now.AddHours(1) }, "ScheduleTime");
        Invalid(d with { SrcVersions = ["1.0"], Target = TargetSelection.Gray, GrayPercent = "10" }, "TargetSelection");
        Valid(d, Package(PackageType.Differential));
    }

    [Fact]
    public void A_differential_package_fixes_the_source_version()
    {
        Valid(Ok with { SrcVersions = ["1.0.0"] }, Package(PackageType.Differential));
        Invalid(Ok with { SrcVersions = ["1.1.0"] }, "SrcVersion.N", "from 1.0.0 only", Package(PackageType.Differential));
    }

    [Fact]
    public void Overwrite_mode_is_1_or_2_and_not_with_multi_module_mode()
    {
        Valid(Ok with { OverwriteMode = OverwriteMode.Overwrite });
        Invalid(Ok with { OverwriteMode = (OverwriteMode)3 }, "OverwriteMode");
        Invalid(Ok with { OverwriteMode = OverwriteMode.Overwrite, MultiModuleMode = true }, "OverwriteMode", "MultiModuleMode");
        Invalid(Ok with { Selection = SelectionType.Dynamic, SrcVersions = ["1"], DynamicMode = (DynamicMode)3 }, "DynamicMode");
    }

    [Fact]
    public void MQTT_download_takes_one_file_of_at_most_16_MB()
    {
        Valid(Ok with { DownloadProtocol = DownloadProtocol.Mqtt }, Package(size: 16 * 1024 * 1024));
        Invalid(Ok with { DownloadProtocol = DownloadProtocol.Mqtt }, "DownloadProtocol", "16 MB", Package(size: 16 * 1024 * 1024 + 1));
        Invalid(Ok with { DownloadProtocol = DownloadProtocol.Mqtt }, "DownloadProtocol", "single-file", Package(files: 2));
    }

    [Fact]
    public void Error_codes_name_the_field_in_Alibaba_style()
    {
        Assert.Equal("InvalidMaximumPerMinute", new FieldError("MaximumPerMinute", "x").Code);
        Assert.Equal("MissingTagKey", new FieldError("Tag.N.Key", "x", Missing: true).Code);
        // The code names the parameter, whichever item was wrong; the message names the item.
        Assert.Equal("InvalidTagKey", new FieldError("Tag.1.Key", "x").Code);
        Assert.StartsWith("Tag.1.Key:", new FieldError("Tag.1.Key", "x").ToString());
        Assert.Equal("InvalidMultiFilesName", new FieldError("MultiFiles.12.Name", "x").Code);
    }
}
