using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OtaConsole.Tests.Support;

/// <summary>
/// A client that calls the API as Alibaba's own RPC client (@alicloud/pop-core) does (reference §8), written
/// apart from the console's code so that the two check each other: parameters flattened 1-based, sorted,
/// RFC 3986-encoded, signed with HMAC-SHA1(secret + "&amp;") over METHOD&amp;%2F&amp;…; GET puts them in the
/// query of endpoint + "/", POST sends them as a form to endpoint + "/".
/// </summary>
public sealed class AlibabaRpc(HttpClient http, string endpoint, string accessKeyId, string secret, Func<DateTimeOffset> clock)
{
    public string AccessKeyId { get; } = accessKeyId;

    public Task<RpcAnswer> GetAsync(string action, object? parameters = null) => CallAsync("GET", action, parameters);
    public Task<RpcAnswer> PostAsync(string action, object? parameters = null) => CallAsync("POST", action, parameters);

    public Task<RpcAnswer> CallAsync(string method, string action, object? parameters = null) =>
        SendAsync(method, Signed(method, action, parameters));

    /// <summary>The request's parameters, common ones and Signature included, ready to send (or to tamper with).</summary>
    public Dictionary<string, string> Signed(string method, string action, object? parameters = null, Action<Dictionary<string, string>>? beforeSigning = null)
    {
        var p = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Action"] = action,
            ["Format"] = "JSON",
            ["Version"] = "2018-01-20",
            ["Timestamp"] = clock().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["SignatureMethod"] = "HMAC-SHA1",
            ["SignatureVersion"] = "1.0",
            ["SignatureNonce"] = Guid.NewGuid().ToString("N"),
            ["AccessKeyId"] = AccessKeyId,
        };
        foreach (var (k, v) in Flatten(parameters))
            p[k] = v;
        beforeSigning?.Invoke(p);
        p["Signature"] = Signature(method, p, secret);
        return p;
    }

    public async Task<RpcAnswer> SendAsync(string method, IEnumerable<KeyValuePair<string, string>> p)
    {
        var query = string.Join('&', p.Select(kv => Encode(kv.Key) + "=" + Encode(kv.Value)));
        using var request = method == "POST"
            ? new HttpRequestMessage(HttpMethod.Post, endpoint + "/") { Content = new StringContent(query, Encoding.UTF8, "application/x-www-form-urlencoded") }
            : new HttpRequestMessage(HttpMethod.Get, endpoint + "/?" + query);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new RpcAnswer((int)response.StatusCode, JsonDocument.Parse(body).RootElement.Clone(), body);
    }

    /// <summary>
    /// A script's upload: GenerateOTAUploadURL, then an OSS PostObject form to its Host (file last). Returns the
    /// FirmwareUrl for CreateOTAFirmware and the upload's HTTP status.
    /// </summary>
    public async Task<(string FirmwareUrl, int Status)> UploadAsync(byte[] content, string suffix = "bin", Action<Dictionary<string, string>>? tamper = null)
    {
        var ticket = (await PostAsync("GenerateOTAUploadURL", new { FileSuffix = suffix })).Ok().Data;
        var fields = new Dictionary<string, string>
        {
            ["key"] = ticket.GetProperty("Key").GetString()!,
            ["policy"] = ticket.GetProperty("Policy").GetString()!,
            ["OSSAccessKeyId"] = ticket.GetProperty("OSSAccessKeyId").GetString()!,
            ["Signature"] = ticket.GetProperty("Signature").GetString()!,
            ["success_action_status"] = "200",
        };
        tamper?.Invoke(fields);
        using var form = new MultipartFormDataContent();
        foreach (var (k, v) in fields)
            form.Add(new StringContent(v), k);
        form.Add(new ByteArrayContent(content), "file", "firmware." + suffix);
        using var response = await http.PostAsync(ticket.GetProperty("Host").GetString(), form);
        return (ticket.GetProperty("FirmwareUrl").GetString()!, (int)response.StatusCode);
    }

    /// <summary>pop-core's encode: encodeURIComponent, then ! ' ( ) * too; .NET's EscapeDataString is exactly RFC 3986.</summary>
    public static string Encode(string s) => Uri.EscapeDataString(s);

    public static string StringToSign(string method, IReadOnlyDictionary<string, string> p)
    {
        var canonical = string.Join('&', p.Where(kv => kv.Key != "Signature").OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => Encode(kv.Key) + "=" + Encode(kv.Value)));
        return $"{method}&{Encode("/")}&{Encode(canonical)}";
    }

    public static string Signature(string method, IReadOnlyDictionary<string, string> p, string secret)
    {
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(secret + "&"));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(StringToSign(method, p))));
    }

    /// <summary>The parameters of <paramref name="first"/>, then those of <paramref name="then"/>, which win when both name one.</summary>
    public static Dictionary<string, object?> With(object first, object? then)
    {
        var all = new Dictionary<string, object?>();
        foreach (var o in new[] { first, then })
        {
            // Names an anonymous object cannot spell (MaintenanceWindow.Start) come as a dictionary.
            if (o is IDictionary<string, object?> named)
            {
                foreach (var (k, v) in named)
                    all[k] = v;
                continue;
            }
            foreach (var p in o?.GetType().GetProperties() ?? [])
                all[p.Name] = p.GetValue(o);
        }
        return all;
    }

    /// <summary>
    /// pop-core's flatParams: a list becomes Name.1, Name.2…; a list of objects Name.1.Field; booleans true/false;
    /// properties of an anonymous object are the parameter names.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> Flatten(object? parameters)
    {
        if (parameters is null)
            yield break;
        var pairs = parameters is IEnumerable<KeyValuePair<string, object?>> d ? d
            : parameters.GetType().GetProperties().Select(pr => new KeyValuePair<string, object?>(pr.Name, pr.GetValue(parameters)));
        foreach (var (name, value) in pairs)
            foreach (var kv in FlattenValue(name, value))
                yield return kv;
    }

    private static IEnumerable<KeyValuePair<string, string>> FlattenValue(string name, object? value)
    {
        switch (value)
        {
            case null:
                yield break;
            case string s:
                yield return new(name, s);
                break;
            case bool b:
                yield return new(name, b ? "true" : "false");
                break;
            case IFormattable f when value is not IEnumerable:
                yield return new(name, f.ToString(null, CultureInfo.InvariantCulture));
                break;
            case IEnumerable list:
                var i = 0;
                foreach (var item in list)
                {
                    i++;
                    if (item is string or IFormattable)
                        foreach (var kv in FlattenValue($"{name}.{i}", item))
                            yield return kv;
                    else
                        foreach (var kv in Flatten(item).Select(kv => new KeyValuePair<string, string>($"{name}.{i}.{kv.Key}", kv.Value)))
                            yield return kv;
                }
                break;
            default:
                yield return new(name, value.ToString()!);
                break;
        }
    }
}

/// <summary>An answer: HTTP status and the JSON body.</summary>
public sealed record RpcAnswer(int Status, JsonElement Json, string Body)
{
    public bool Success => Json.TryGetProperty("Success", out var s) && s.ValueKind == JsonValueKind.True;
    public string? Code => Json.TryGetProperty("Code", out var c) ? c.GetString() : null;
    public string? Message => Json.TryGetProperty("ErrorMessage", out var m) ? m.GetString() : null;
    public JsonElement this[string name] => Json.GetProperty(name);
    public JsonElement Data => Json.GetProperty("Data");

    /// <summary>Asserts success and returns the answer, with the body in the message when it is not.</summary>
    public RpcAnswer Ok()
    {
        Assert.True(Status == 200 && Success, $"HTTP {Status}: {Body}");
        Assert.False(string.IsNullOrEmpty(Json.GetProperty("RequestId").GetString()));
        return this;
    }

    /// <summary>Asserts a refusal with this status and code.</summary>
    public RpcAnswer Refused(int status, string code)
    {
        Assert.True(Status == status && Code == code && !Success, $"expected HTTP {status} {code}; got HTTP {Status}: {Body}");
        Assert.False(string.IsNullOrEmpty(Json.GetProperty("RequestId").GetString()));
        Assert.False(string.IsNullOrEmpty(Message));
        return this;
    }
}
