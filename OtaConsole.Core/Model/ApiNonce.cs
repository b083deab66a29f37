namespace OtaConsole.Core.Model;

/// <summary>A SignatureNonce an API request used, kept until a request carrying it would fail on its Timestamp anyway.</summary>
public sealed class ApiNonce
{
    /// <summary>The access key's id, a line break, and the nonce.</summary>
    public string Key { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
}
