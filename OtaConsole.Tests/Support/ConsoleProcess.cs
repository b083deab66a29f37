using System.Collections.Concurrent;
using System.Diagnostics;

namespace OtaConsole.Tests.Support;

/// <summary>
/// A console node in a process of its own (the OtaConsole.dll built beside the tests), configured through its
/// environment, so a test can kill it without warning: no stop handlers run, no lease is released.
/// </summary>
public sealed class ConsoleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly ConcurrentQueue<string> _output = new();

    private ConsoleProcess(Process process, string folder, string baseUrl)
    {
        _process = process;
        _folder = folder;
        BaseUrl = baseUrl;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string BaseUrl { get; }

    /// <summary>The last lines the node wrote, for a failing test's message.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Starts a node with these settings ("Ota:Mqtt:Mode" style keys) and waits until /readyz answers 200.</summary>
    public static async Task<ConsoleProcess> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan? timeout = null)
    {
        var port = FreePorts.Next();
        var baseUrl = $"http://127.0.0.1:{port}";
        // Its own working folder, so no appsettings.json is picked up: what it runs on is what the test says.
        var folder = Directory.CreateTempSubdirectory("ota-node-").FullName;
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "OtaConsole.dll")])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Urls"] = baseUrl;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in settings)
            start.Environment[k.Replace(":", "__", StringComparison.Ordinal)] = v;
        var node = new ConsoleProcess(Process.Start(start)!, folder, baseUrl);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            if (node._process.HasExited)
                throw new InvalidOperationException($"the console node exited with {node._process.ExitCode}:\n{node.Output}");
            try
            {
                if ((await http.GetAsync(baseUrl + "/readyz")).IsSuccessStatusCode)
                    return node;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                await node.DisposeAsync();
                throw new TimeoutException($"the console node at {baseUrl} was not ready in time:\n{node.Output}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>Kills the node at once, as a power cut would: nothing of its own shutdown runs.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        _output.Enqueue(line);
        while (_output.Count > 200)
            _output.TryDequeue(out _);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
