using System.Security.Cryptography;
using System.Text;

namespace OtaConsole.Core.Webhooks;

/// <summary>What a subscription may hold, and how a request is signed: in one place, for the service, the configuration and the README's receivers.</summary>
public static class WebhookRules
{
    public const int MaxNameLength = 100;
    public const int MaxUrlLength = 2000;
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 500;
    public const int ResponseStartLength = 512;
    /// <summary>Events in one grouped request at most (device events; a 100,000-device batch is some 100 requests).</summary>
    public const int MaxGroup = 1000;

    public const string SignatureHeader = "X-Ota-Signature";
    public const string TimestampHeader = "X-Ota-Timestamp";
    public const string DeliveryHeader = "X-Ota-Delivery";
    public const string EventHeader = "X-Ota-Event";

    /// <summary>Problems with a subscription's fields, by field; empty when it is valid.</summary>
    public static Dictionary<string, string> Problems(string? name, string? url, string? secret, IReadOnlyCollection<string> eventTypes, bool secretRequired = true)
    {
        var problems = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
            problems["Name"] = $"A name of 1 to {MaxNameLength} characters, without control characters.";
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo))
            problems["Url"] = $"An absolute http or https URL of at most {MaxUrlLength} characters, without a user name or password in it.";
        if (secretRequired || !string.IsNullOrEmpty(secret))
        {
            if (secret is null || secret.Length < MinSecretLength || secret.Length > MaxSecretLength || secret.Any(char.IsControl))
                problems["Secret"] = $"A secret of {MinSecretLength} to {MaxSecretLength} characters.";
        }
        var unknown = eventTypes.Where(t => t != "*" && !OtaEventTypes.All.Contains(t)).ToList();
        if (eventTypes.Count == 0)
            problems["EventTypes"] = "At least one event type (or * for every one).";
        else if (unknown.Count > 0)
            problems["EventTypes"] = $"Unknown event type(s): {string.Join(", ", unknown.Take(5))}. Known: {string.Join(", ", OtaEventTypes.All)}.";
        return problems;
    }

    /// <summary>The signature header's value: <c>sha256=</c> and the hex HMAC-SHA256, keyed by the secret, of "timestamp.body".</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>A receiver's check, as the README shows it: the signature matches and the timestamp is recent.</summary>
    public static bool Verify(string secret, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestamp, out var ts) || signature is null)
            return false;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(ts)).Duration() > tolerance)
            return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, ts, body)), Encoding.ASCII.GetBytes(signature));
    }

    public static IReadOnlyList<string> ParseTypes(string stored) => stored.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Which outbox events a subscription wants: its product, device events if asked for, its types.</summary>
    public static Func<OutboxEventHead, bool> Wants(WebhookSubscription s)
    {
        var types = ParseTypes(s.EventTypes).ToHashSet();
        // "*" is every webhook event type, not every outbox row (status changes are only for Alibaba's messages).
        if (types.Remove("*"))
            types.UnionWith(OtaEventTypes.All);
        return e => (s.ProductKey is null || e.ProductKey == s.ProductKey) && (!e.IsDeviceEvent || s.DeviceEvents) && types.Contains(e.Type);
    }
}

/// <summary>An outbox event without its data: what the dispatcher needs to choose a delivery's events.</summary>
public sealed record OutboxEventHead(long Id, string Type, string? ProductKey, bool IsDeviceEvent, DateTimeOffset Time);
