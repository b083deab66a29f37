using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OtaConsole.Tests.Support;

/// <summary>A real mosquitto broker on a free port, started from its own config file (test.sh installs Debian's mosquitto).</summary>
public sealed class Mosquitto : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private Mosquitto(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public static async Task<Mosquitto> StartAsync()
    {
        var binary = new[] { "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto" }.FirstOrDefault(File.Exists)
                     ?? throw new InvalidOperationException("mosquitto is not installed; ./test.sh installs it (apt-get install mosquitto).");
        var folder = Directory.CreateTempSubdirectory("ota-mosquitto-").FullName;
        var port = FreePorts.Next();
        var config = Path.Combine(folder, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            persistence false
            log_dest stdout
            """);
        var process = Process.Start(new ProcessStartInfo(binary, $"-c {config}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
        }
        return new Mosquitto(process, folder, port);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_folder, true);
    }
}
