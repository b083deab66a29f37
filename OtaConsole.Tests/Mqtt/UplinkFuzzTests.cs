using System.Buffers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Mqtt;

/// <summary>
/// Arbitrary bytes on a device's own OTA topics: random, mutated valid payloads, invalid UTF-8, deep nesting,
/// huge numbers. Each is a valid event or a counted drop; nothing throws and nothing logs an error. Seeded, so a
/// failure names the seed and case that reproduce it.
/// </summary>
public sealed class UplinkFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261201;
    private static readonly DeviceKey Dev = new(ConsoleHost.ProductKey, "dev-000");

    private static readonly string[] Valid =
    [
        "{\"id\":1,\"params\":{\"version\":\"1.0.0\"}}",
        "{\"id\":\"2\",\"params\":{\"version\":\"2.0.0\",\"module\":\"MCU\"}}",
        "{\"id\":3,\"params\":{\"step\":\"50\",\"desc\":\"downloading\"}}",
        "{\"id\":4,\"params\":{\"step\":-1,\"desc\":\"failed\",\"module\":\"default\"}}",
        "{\"id\":5,\"params\":{}}",
        "{\"id\":\"123\",\"version\":\"1.0\",\"params\":{\"module\":\"MCU\"},\"method\":\"thing.ota.firmware.get\"}",
        "{\"id\":\"1\",\"version\":\"1.0\",\"params\":{\"fileToken\":\"default\",\"fileInfo\":{\"streamId\":1,\"fileId\":1,},\"fileBlock\":{\"size\":5120,\"offset\":0}}}",
    ];

    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\uD800", "\\uDFFF", "null", "true", "1e999999", "-0", "1" + new string('0', 400),
        "99999999999999999999999", "-2147483649", "0x10", "NaN", "\"params\"", "\"step\"", "\"version\"", "\"module\"", "\"desc\"", "\"id\"",
        "\u0000", "\u00ff", "\ud83d\ude00", " ", "\t", "\r\n", "/*c*/", "//c",
    ];

    private static byte[] Case(Random rng)
    {
        switch (rng.Next(7))
        {
            case 0: // random bytes
            {
                var b = new byte[rng.Next(0, 400)];
                rng.NextBytes(b);
                return b;
            }
            case 1: // a valid payload with a few bytes flipped, dropped or inserted
            {
                var b = Encoding.UTF8.GetBytes(Valid[rng.Next(Valid.Length)]).ToList();
                for (var n = rng.Next(1, 5); n > 0 && b.Count > 0; n--)
                {
                    var at = rng.Next(b.Count);
                    switch (rng.Next(3))
                    {
                        case 0: b[at] = (byte)rng.Next(256); break;
                        case 1: b.RemoveAt(at); break;
                        default: b.Insert(at, (byte)rng.Next(256)); break;
                    }
                }
                return b.ToArray();
            }
            case 2: // a valid payload with a JSON fragment spliced in
            {
                var s = Valid[rng.Next(Valid.Length)];
                var at = rng.Next(s.Length + 1);
                return Encoding.UTF8.GetBytes(s[..at] + Fragments[rng.Next(Fragments.Length)] + s[at..]);
            }
            case 3: // invalid UTF-8 inside a string value
            {
                byte[][] bad = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf], [0xe2, 0x82]];
                var s = Valid[rng.Next(Valid.Length)];
                var quote = s.IndexOf('"', rng.Next(s.Length));
                var at = quote < 0 ? s.Length : quote + 1;
                return [.. Encoding.UTF8.GetBytes(s[..at]), .. bad[rng.Next(bad.Length)], .. Encoding.UTF8.GetBytes(s[at..])];
            }
            case 4: // deep nesting
            {
                var depth = rng.Next(1, 3000);
                var open = rng.Next(2) == 0 ? "{\"params\":" : "[";
                var close = open == "[" ? "]" : "}";
                return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, rng.Next(depth + 1))));
            }
            case 5: // huge or odd numbers and strings where the codec reads values
            {
                string[] values = ["1" + new string('9', rng.Next(1, 2000)), "-1e308", "1e-400", "\"" + new string('9', rng.Next(1, 300)) + "\"", "\"" + new string('x', rng.Next(0, 70_000)) + "\"", "[]", "{}", "false", "\"\\u0000\"", "\" -5 \""];
                var field = new[] { "step", "version", "module", "desc", "id" }[rng.Next(5)];
                var value = values[rng.Next(values.Length)];
                return Encoding.UTF8.GetBytes(field == "id" ? $"{{\"id\":{value},\"params\":{{\"step\":\"1\"}}}}" : $"{{\"id\":1,\"params\":{{\"{field}\":{value},\"step\":\"1\",\"version\":\"1.0\"}}}}");
            }
            default: // repeated keys at any level
            {
                string[] dup =
                [
                    "{\"params\":{\"step\":\"10\"},\"params\":{\"step\":\"-1\"}}", "{\"id\":1,\"id\":2,\"params\":{}}",
                    "{\"params\":{\"version\":\"1\",\"version\":\"2\"}}", "{\"params\":{\"step\":\"1\",\"x\":{\"a\":1,\"a\":2}}}",
                ];
                return Encoding.UTF8.GetBytes(dup[rng.Next(dup.Length)]);
            }
        }
    }

    [Fact]
    public void The_codec_turns_any_bytes_into_an_event_or_a_drop_reason_and_never_throws()
    {
        output.WriteLine($"seed {Seed}");
        var rng = new Random(Seed);
        AlinkTopicKind[] kinds = [AlinkTopicKind.Inform, AlinkTopicKind.Progress, AlinkTopicKind.FirmwareGet];
        for (var i = 0; i < 5000; i++)
        {
            var payload = Case(rng);
            var kind = kinds[rng.Next(kinds.Length)];
            try
            {
                var e = AlinkCodec.Decode(new AlinkTopic(kind, Dev), new ReadOnlySequence<byte>(payload), out var reason);
                Assert.True(e is not null || Enum.IsDefined(reason));
                MqttDownloadCodec.DecodeRequest(Dev, new ReadOnlySequence<byte>(payload));
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {Seed}, case {i}, {kind}: {ex.GetType().Name}: {ex.Message}; payload {Convert.ToHexString(payload[..Math.Min(200, payload.Length)])}");
            }
        }
    }

    [Fact]
    public async Task The_uplink_handler_counts_every_drop_and_logs_no_error()
    {
        output.WriteLine($"seed {Seed}");
        await using var c = await ConsoleHost.StartAsync();
        await c.ProductAsync();
        await c.RegisterAsync(1);
        var uplinks = c.Services.GetRequiredService<UplinkHandler>();
        var rng = new Random(Seed + 1);
        string[] topics = [AlinkTopics.Inform(Dev), AlinkTopics.Progress(Dev), AlinkTopics.FirmwareGet(Dev), $"/sys/{Dev.ProductKey}/{Dev.DeviceName}/thing/file/download"];
        var dropped = c.Stats.DroppedTotal;
        var drops = 0;
        for (var i = 0; i < 3000; i++)
        {
            var payload = Case(rng);
            var topic = topics[rng.Next(topics.Length)];
            UplinkResult result;
            try
            {
                result = await uplinks.HandleAsync(Dev, topic, new ReadOnlySequence<byte>(payload));
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {Seed + 1}, case {i}, {topic}: {ex.GetType().Name}: {ex.Message}");
                throw;
            }
            if (result == UplinkResult.Dropped)
                drops++;
        }
        Assert.True(drops > 1000, $"{drops} drops");
        Assert.Equal(dropped + drops, c.Stats.DroppedTotal);
        Assert.Empty(c.Logs.Errors);
    }
}
