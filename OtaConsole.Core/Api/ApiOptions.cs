namespace OtaConsole.Core.Api;

/// <summary>The "Ota:Api" section: who may call the API.</summary>
public sealed class ApiOptions
{
    public const string Section = "Ota:Api";

    /// <summary>Access keys; without any the API refuses every call.</summary>
    public List<ApiAccessKey> AccessKeys { get; set; } = [];

    /// <summary>How far a request's Timestamp may be from the console's clock (Alibaba: 15 minutes).</summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>An access key: Id (AccessKeyId), Secret (AccessKeySecret) and what it may do.</summary>
public sealed class ApiAccessKey
{
    public string Id { get; set; } = "";
    public string Secret { get; set; } = "";
    public ApiRole Role { get; set; } = ApiRole.ReadOnly;
    /// <summary>The products the key works on; null or empty: every product.</summary>
    public string[]? Products { get; set; }
}

public enum ApiRole
{
    /// <summary>Queries and lists only.</summary>
    ReadOnly,
    /// <summary>Every operation.</summary>
    Full,
}
