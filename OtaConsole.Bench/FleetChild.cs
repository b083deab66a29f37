using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OtaConsole.Core.Model;
using OtaConsole.Core.Simulation;

namespace OtaConsole.Bench;

/// <summary>One simulated device, as the parent hands it over in a file.</summary>
internal sealed record FleetDevice(string Pk, string Dn, string Secret, string Version);

/// <summary>
/// The simulated fleet in a process of its own, so the console's process holds only its own sockets
/// (this machine allows 20,000 open files a process). Driven by line commands on stdin; answers on stdout
/// with lines starting "@".
/// </summary>
internal static class FleetChild
{
    public static async Task<int> RunAsync()
    {
        var devices = new List<SimulatedDevice>();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 128 });
        string? line;
        while ((line = Console.ReadLine()) is not null)
        {
            var a = line.Split(' ');
            switch (a[0])
            {
                case "connect": // connect host port specsFile failure downloadMs parallelism [sdkStyle]
                {
                    var specs = JsonSerializer.Deserialize<List<FleetDevice>>(await File.ReadAllTextAsync(a[3]))!;
                    var failure = Enum.Parse<SimFailure>(a[4]);
                    // On a broker that subscribes nobody (mosquitto), devices that subscribe themselves: C SDK 3.x.
                    var style = a.Length > 7 ? Enum.Parse<SimSdkStyle>(a[7]) : SimSdkStyle.LinkSdk4;
                    var downloadTime = TimeSpan.FromMilliseconds(int.Parse(a[5]));
                    foreach (var d in devices)
                        await d.DisposeAsync();
                    devices = specs.Select(s => new SimDeviceSpec(new DeviceKey(s.Pk, s.Dn), s.Secret)
                        {
                            Versions = new() { [OtaModule.Default] = s.Version },
                            Failure = failure,
                            Style = style,
                        })
                        .Select(s => new SimulatedDevice(s, SimulatedDevice.MqttLink(s, a[1], int.Parse(a[2])), http, downloadTime))
                        .ToList();
                    var failed = 0;
                    await Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = int.Parse(a[6]) }, async (d, ct) =>
                    {
                        try
                        {
                            if (!await d.ConnectAsync(ct))
                                Interlocked.Increment(ref failed);
                        }
                        catch (Exception)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    });
                    Answer($"connected {devices.Count - failed} {failed}");
                    break;
                }
                case "burst": // burst count: every device sends count progress reports as fast as it can
                {
                    var count = int.Parse(a[1]);
                    var sw = Stopwatch.StartNew();
                    long sent = 0;
                    await Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = 512 }, async (d, ct) =>
                    {
                        for (var i = 1; i <= count; i++)
                        {
                            await d.ReportProgressAsync(i, OtaModule.Default, "", ct);
                            Interlocked.Increment(ref sent);
                        }
                    });
                    Answer($"burst-done {sent} {sw.Elapsed.TotalSeconds:F3}");
                    break;
                }
                case "notices": // the devices that received more than one upgrade notice: name:count,...
                {
                    var twice = devices.Where(d => d.UpgradeNotices > 1).Select(d => $"{d.Key.DeviceName}:{d.UpgradeNotices}");
                    Answer("notices " + string.Join(',', twice));
                    break;
                }
                case "status":
                    Answer($"status {devices.Count(d => d.IsConnected)} {devices.Sum(d => d.UpdatesCompleted)} {devices.Sum(d => d.UpdatesFailed)}");
                    break;
                case "quit":
                    foreach (var d in devices)
                        await d.DisposeAsync();
                    Answer("bye");
                    return 0;
            }
        }
        return 0;
    }

    private static void Answer(string s)
    {
        Console.Out.WriteLine("@" + s);
        Console.Out.Flush();
    }
}

/// <summary>The parent's handle on a fleet child process.</summary>
internal sealed class FleetProcess : IAsyncDisposable
{
    private readonly Process _process;

    private FleetProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static FleetProcess Start()
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            info.ArgumentList.Add(typeof(FleetChild).Assembly.Location);
        info.ArgumentList.Add("fleet-child");
        return new FleetProcess(Process.Start(info)!);
    }

    /// <summary>Sends a command and returns the child's answer (its "@" line), without the "@".</summary>
    public async Task<string[]> AskAsync(string command, TimeSpan timeout)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var line = await _process.StandardOutput.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException("the fleet process ended");
            if (line.StartsWith('@'))
                return line[1..].Split(' ');
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AskAsync("quit", TimeSpan.FromSeconds(60));
        }
        catch (Exception)
        {
            // It is going away either way.
        }
        if (!_process.HasExited)
            _process.Kill(true);
        _process.Dispose();
    }
}
