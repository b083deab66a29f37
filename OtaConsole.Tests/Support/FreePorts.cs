using System.Net;
using System.Net.Sockets;

namespace OtaConsole.Tests.Support;

/// <summary>A port nobody listens on now, for a server a test starts (mosquitto, PostgreSQL).</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
