using System.Diagnostics;
using System.Text.Json;

namespace OtaConsole.Tests.Support;

/// <summary>
/// The npm package oidc-provider (OpenID Certified), started with node on a port of its own for one test: it
/// listens first, so the console can be started with its address, and is then told the console's redirect URI and
/// its accounts (login → email and groups).
/// </summary>
public sealed class OidcProviderProcess : IAsyncDisposable
{
    public const string ClientId = "otaconsole", ClientSecret = "otaconsole-secret";
    private readonly Process _node;

    private OidcProviderProcess(Process node, int port)
    {
        _node = node;
        Authority = $"http://127.0.0.1:{port}";
    }

    public string Authority { get; }

    public static string Folder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OtaConsole.sln")))
            dir = dir.Parent;
        return Path.Combine(dir!.FullName, "OtaConsole.Tests", "Security", "OidcProvider");
    }

    public static async Task<OidcProviderProcess> StartAsync()
    {
        var folder = Folder();
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "oidc-provider")), $"oidc-provider is not installed in {folder}: run ./test.sh (it runs npm ci there).");
        var node = Process.Start(new ProcessStartInfo("node", "provider.mjs")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        node.ErrorDataReceived += (_, _) => { }; // its start-up warnings
        node.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await node.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("oidc-provider ended before it listened");
        return new OidcProviderProcess(node, int.Parse(line["port ".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The console's settings for this provider: groups in the "groups" claim, mapped to roles.</summary>
    public Dictionary<string, string?> Settings(IDictionary<string, string> roleMap)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ota:Auth:Oidc:Authority"] = Authority,
            ["Ota:Auth:Oidc:ClientId"] = ClientId,
            ["Ota:Auth:Oidc:ClientSecret"] = ClientSecret,
            ["Ota:Auth:Oidc:Scopes"] = "profile email groups",
            ["Ota:Auth:Oidc:RoleClaim"] = "groups",
            ["Ota:Auth:Oidc:DisplayName"] = "Test SSO",
        };
        foreach (var (group, role) in roleMap)
            settings[$"Ota:Auth:Oidc:RoleMap:{group}"] = role;
        return settings;
    }

    /// <summary>Finishes the provider's set-up: where it sends the browser back, and who may sign in.</summary>
    public async Task ConfigureAsync(string consoleBaseUrl, Dictionary<string, (string Email, string[] Groups)> accounts)
    {
        var config = JsonSerializer.Serialize(new
        {
            redirectUri = consoleBaseUrl + "/signin-oidc",
            accounts = accounts.ToDictionary(a => a.Key, a => new { email = a.Value.Email, groups = a.Value.Groups }),
        });
        await _node.StandardInput.WriteLineAsync(config);
        await _node.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal("ready", await _node.StandardOutput.ReadLineAsync(timeout.Token));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_node.HasExited)
            _node.Kill(true);
        await _node.WaitForExitAsync();
        _node.Dispose();
    }
}
