using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Mqtt;

/// <summary>EMQX's HTTP authentication request (the body its authenticator sends, with the placeholders the README's configuration names).</summary>
public sealed record EmqxAuthRequest(string? ClientId, string? Username, string? Password, int? KeepAlive);

/// <summary>EMQX's HTTP authorization request: who wants to publish or subscribe to which topic.</summary>
public sealed record EmqxAclRequest(string? ClientId, string? Username, string? Topic, string? Action);

/// <summary>An answer in EMQX's form: result allow, deny or ignore, and whether the client is a superuser.</summary>
public sealed record EmqxVerdict(string Result, bool IsSuperuser = false)
{
    public static readonly EmqxVerdict Allow = new("allow"), Deny = new("deny"), Superuser = new("allow", true);
}

/// <summary>
/// The embedded broker's rules for someone else's broker: an EMQX cluster calls these (through the console's HTTP
/// endpoints) to sign Alibaba devices in with their usual credentials and to hold each device to its own topics.
/// The console's own connection (Ota:Mqtt:Username/Password) is a superuser: it reads every device's uplinks and
/// sends every notice.
/// </summary>
public sealed class EmqxHooks(DeviceSecrets secrets, IOptions<MqttOptions> options)
{
    public async Task<EmqxVerdict> AuthenticateAsync(EmqxAuthRequest r, CancellationToken ct = default)
    {
        if (IsConsole(r.Username, r.Password))
            return EmqxVerdict.Superuser;
        var key = AlibabaSignIn.ParseUsername(r.Username);
        var secret = key is DeviceKey k ? await secrets.FindAsync(k, ct) : null;
        // EMQX's authenticator has no keep-alive placeholder: when the hook is not sent one, EMQX's own limits apply.
        var keepAlive = r.KeepAlive ?? AlibabaSignIn.MinKeepAliveSeconds;
        var failure = AlibabaSignIn.Check(r.ClientId, r.Username, r.Password, keepAlive, _ => secret, out _, out _);
        return failure == SignInFailure.None ? EmqxVerdict.Allow : EmqxVerdict.Deny;
    }

    public EmqxVerdict Authorize(EmqxAclRequest r)
    {
        if (r.Username is { } u && u == options.Value.Username && !string.IsNullOrEmpty(u))
            return EmqxVerdict.Allow;
        if (AlibabaSignIn.ParseUsername(r.Username) is not DeviceKey device || string.IsNullOrEmpty(r.Topic))
            return EmqxVerdict.Deny;
        return r.Action?.ToLowerInvariant() switch
        {
            "publish" => AlinkTopics.MayPublish(device, r.Topic) ? EmqxVerdict.Allow : EmqxVerdict.Deny,
            "subscribe" => AlinkTopics.MaySubscribe(device, r.Topic) ? EmqxVerdict.Allow : EmqxVerdict.Deny,
            _ => EmqxVerdict.Deny,
        };
    }

    private bool IsConsole(string? username, string? password)
    {
        var o = options.Value;
        if (string.IsNullOrEmpty(o.Username) || string.IsNullOrEmpty(o.Password) || username != o.Username || password is null)
            return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(o.Password));
    }
}
