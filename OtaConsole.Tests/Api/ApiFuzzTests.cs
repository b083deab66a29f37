using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Api;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>
/// Arbitrary parameter names, values and bytes, signed and unsigned, through the API's parser and the whole /api
/// endpoint: each answer is Alibaba's envelope, a success or a 4xx, never a 500, and nothing logs an error.
/// Seeded, so a failure names the seed and case that reproduce it.
/// </summary>
public sealed class ApiFuzzTests(ITestOutputHelper output) : ApiTestBase
{
    private const int Seed = 20261201;

    private string _packageId = "";

    protected override async Task SetUpAsync()
    {
        await C.ProductAsync();
        await C.ReportedDevicesAsync(3);
        _packageId = (await C.PackageAsync()).Id;
    }

    private string[] Values(Random rng) =>
    [
        "", " ", "0", "1", "-1", "01", "001", "+1", " 1", "1 ", "1e3", "1.5", "2147483647", "2147483648", "-2147483648", "9223372036854775808",
        "99999999999999999999999999", "true", "false", "TRUE", "null", "ALL", "SPECIFIC", "GRAY", "GROUP", "IN_PROGRESS", "QUEUED",
        ConsoleHost.ProductKey, "dev-000", "dev-001", _packageId, "MCU", "default", "1.0.0", "2.0.0", "HTTPS", "MQTT", "MD5", "SHA256",
        "\u0000", "\u202e", "é", "\ud83d\ude00", "<script>", "'; DROP TABLE Tasks; --", "../../etc/passwd", "%00", "%",
        new string('x', rng.Next(100, 5000)), new string('9', rng.Next(20, 400)), "253402300800000", "-62135596800001",
    ];

    private static string Name(Random rng, ApiOperation op)
    {
        var p = op.Parameters.Count > 0 ? op.Parameters[rng.Next(op.Parameters.Count)].Name : "X";
        var bare = p.Replace(".N", "", StringComparison.Ordinal);
        var dot = bare.IndexOf('.');
        var stem = dot < 0 ? bare : bare[..dot];
        string[] indexes = ["1", "2", "0", "01", "001", "-1", "+1", "x", "", "1.", "2147483648", "99999999999", " 1", "1 "];
        return rng.Next(6) switch
        {
            0 => $"{stem}.{indexes[rng.Next(indexes.Length)]}",
            1 => $"{stem}.{indexes[rng.Next(indexes.Length)]}.{(rng.Next(2) == 0 ? "Key" : "Value")}",
            2 => stem.ToLowerInvariant(),
            3 => new string((char)rng.Next(1, 0xD7FF), rng.Next(1, 5)),
            _ => p.Contains(".N", StringComparison.Ordinal) ? $"{stem}.1" : p,
        };
    }

    private Dictionary<string, string> Parameters(Random rng, ApiOperation op)
    {
        var values = Values(rng);
        var p = new Dictionary<string, string>(StringComparer.Ordinal);
        // Mostly the operation's own parameters, well-formed or not, so that each operation's own reading is reached.
        foreach (var param in op.Parameters.Where(_ => rng.Next(3) > 0))
            p[param.Name.Replace(".N", ".1", StringComparison.Ordinal)] = values[rng.Next(values.Length)];
        for (var n = rng.Next(0, 6); n > 0; n--)
            p[Name(rng, op)] = values[rng.Next(values.Length)];
        return p;
    }

    private static void AssertEnvelope(int status, string body, string what)
    {
        Assert.True(status is 200 or (>= 400 and < 500), $"{what}: HTTP {status}: {body[..Math.Min(400, body.Length)]}");
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("RequestId").GetString()), what);
        if (status != 200)
        {
            Assert.False(root.GetProperty("Success").GetBoolean(), what);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("Code").GetString()), what);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("Message").GetString()), what);
        }
    }

    [Fact]
    public async Task Signed_calls_with_arbitrary_parameters_answer_a_success_or_a_4xx_and_log_no_error()
    {
        output.WriteLine($"seed {Seed}");
        var api = C.Services.GetRequiredService<OtaApi>();
        var rng = new Random(Seed);
        var operations = OtaApi.Operations;
        for (var i = 0; i < 2500; i++)
        {
            var op = operations[rng.Next(operations.Count)];
            var parameters = Parameters(rng, op);
            var method = rng.Next(4) == 0 ? "GET" : "POST";
            var signed = Api.Signed(method, op.Action, parameters.ToDictionary(kv => kv.Key, kv => (object?)kv.Value));
            var answer = await api.HandleAsync(method, signed);
            AssertEnvelope(answer.Status, answer.ToJson(), $"seed {Seed}, case {i}, {op.Action} {string.Join('&', parameters.Select(kv => $"{kv.Key}={kv.Value[..Math.Min(40, kv.Value.Length)]}"))}");
        }
        Assert.Empty(C.Logs.Errors);
    }

    [Fact]
    public async Task Arbitrary_bytes_and_names_sent_to_the_api_endpoint_answer_a_4xx_envelope()
    {
        output.WriteLine($"seed {Seed}");
        var rng = new Random(Seed + 1);
        string[] types = ["application/x-www-form-urlencoded", "application/json", "multipart/form-data; boundary=b", "text/plain", "application/x-www-form-urlencoded; charset=utf-7", ""];
        for (var i = 0; i < 300; i++)
        {
            using var request = new HttpRequestMessage(rng.Next(2) == 0 ? HttpMethod.Get : HttpMethod.Post, C.BaseUrl + "/api/?" + RandomQuery(rng));
            if (request.Method == HttpMethod.Post)
            {
                var body = new byte[rng.Next(0, 2000)];
                rng.NextBytes(body);
                if (rng.Next(2) == 0)
                    body = Encoding.UTF8.GetBytes(RandomQuery(rng));
                request.Content = new ByteArrayContent(body);
                var type = types[rng.Next(types.Length)];
                if (type.Length > 0)
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
            using var response = await C.Http.SendAsync(request);
            AssertEnvelope((int)response.StatusCode, await response.Content.ReadAsStringAsync(), $"seed {Seed + 1}, case {i}");
        }
        Assert.Empty(C.Logs.Errors);
    }

    private static string RandomQuery(Random rng)
    {
        string[] names = ["Action", "AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "Version", "SignatureMethod", "Format", "TargetDeviceName.01", "Tag.1.Key", "SrcVersion.0", "%ZZ", "=", "&&", "a[]", ""];
        var parts = new List<string>();
        for (var n = rng.Next(0, 12); n > 0; n--)
        {
            var value = rng.Next(4) switch
            {
                0 => "",
                1 => Uri.EscapeDataString(new string((char)rng.Next(1, 0xD7FF), rng.Next(1, 20))),
                2 => "%" + rng.Next(256).ToString("X2", CultureInfo.InvariantCulture) + "%",
                _ => "ListOTAFirmware",
            };
            parts.Add(names[rng.Next(names.Length)] + (rng.Next(5) == 0 ? "" : "=" + value));
        }
        return string.Join('&', parts);
    }
}
