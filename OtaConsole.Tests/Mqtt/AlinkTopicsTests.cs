using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;

namespace OtaConsole.Tests.Mqtt;

public sealed class AlinkTopicsTests
{
    private static readonly DeviceKey Me = new("a1PK", "dev-1");

    [Theory]
    [InlineData("/ota/device/inform/a1PK/dev-1", AlinkTopicKind.Inform)]
    [InlineData("/ota/device/progress/a1PK/dev-1", AlinkTopicKind.Progress)]
    [InlineData("/sys/a1PK/dev-1/thing/ota/firmware/get", AlinkTopicKind.FirmwareGet)]
    [InlineData("/sys/a1PK/dev-1/thing/file/download", AlinkTopicKind.FileDownload)]
    [InlineData("/sys/a1PK/dev-1/thing/deviceinfo/update", AlinkTopicKind.OtherSys)]
    public void Uplink_topics_are_read(string topic, AlinkTopicKind kind)
    {
        Assert.True(AlinkTopics.TryParse(topic, out var t));
        Assert.Equal((kind, Me), (t.Kind, t.Device));
        Assert.True(AlinkTopics.MayPublish(Me, topic));
    }

    [Theory]
    [InlineData("/ota/device/inform/a1PK/dev-2")]
    [InlineData("/ota/device/inform/otherPK/dev-1")]
    [InlineData("/sys/a1PK/dev-2/thing/ota/firmware/get")]
    [InlineData("/ota/device/upgrade/a1PK/dev-1")]
    [InlineData("/ota/device/inform/a1PK/dev-1/extra")]
    [InlineData("/ota/device/inform/+/+")]
    [InlineData("/sys/+/+/thing/ota/firmware/get")]
    [InlineData("ota/device/inform/a1PK/dev-1")]
    [InlineData("")]
    [InlineData("/")]
    public void A_device_may_not_publish_to_another_devices_or_a_downlink_topic(string topic) =>
        Assert.False(AlinkTopics.MayPublish(Me, topic));

    [Theory]
    [InlineData("/ota/device/upgrade/a1PK/dev-1", true)]
    [InlineData("/ota/device/request/a1PK/dev-1", true)]
    [InlineData("/sys/a1PK/dev-1/thing/ota/firmware/get_reply", true)]
    [InlineData("/sys/a1PK/dev-1/#", true)]
    [InlineData("/ota/device/upgrade/a1PK/dev-2", false)]
    [InlineData("/ota/device/upgrade/a1PK/+", false)]
    [InlineData("/ota/device/upgrade/#", false)]
    [InlineData("#", false)]
    [InlineData("/sys/a1PK/+/thing/ota/firmware/get_reply", false)]
    [InlineData("/sys/a1PK/dev-1/", false)]
    [InlineData("/sys/a1PK/dev-10/#", false)]
    public void A_device_may_subscribe_to_its_own_downlink_topics_only(string filter, bool allowed) =>
        Assert.Equal(allowed, AlinkTopics.MaySubscribe(Me, filter));
}
