using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Tests.Support;

/// <summary>
/// What the several-nodes test and the several-nodes benchmark share: one node's settings on the shared
/// PostgreSQL, mosquitto and data folder, and the re-sends a task's timeline records (a device's notices beyond
/// its first count as pushed twice only where these do not account for them).
/// </summary>
public static class ClusterNodes
{
    /// <param name="downloadPort">The port downloads go to, as they would go to a load balancer's.</param>
    /// <param name="renoticeAfter">A report lost with a dying node is made up by a re-sent notice after this long (the default is 5 minutes).</param>
    public static Dictionary<string, string> Settings(string nodeId, string folder, string connectionString, int brokerPort, int downloadPort,
        string renoticeAfter, string adminEmail, string adminPassword) => new()
    {
        ["Ota:DataDirectory"] = folder,
        ["Ota:Database:Provider"] = "Postgres",
        ["Ota:Database:ConnectionString"] = connectionString,
        ["Ota:Mqtt:Mode"] = "External",
        ["Ota:Mqtt:Host"] = "127.0.0.1",
        ["Ota:Mqtt:Port"] = brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ota:Rollout:NodeId"] = nodeId,
        ["Ota:Rollout:RenoticeAfter"] = renoticeAfter,
        ["Ota:Downloads:PublicBaseUrl"] = $"http://127.0.0.1:{downloadPort}",
        ["Ota:Auth:InitialAdmin:Email"] = adminEmail,
        ["Ota:Auth:InitialAdmin:Password"] = adminPassword,
    };

    /// <summary>Per device name, the notices its tasks' timelines record as sent again (re-sent or repeated).</summary>
    public static async Task<Dictionary<string, int>> ResendsByDeviceAsync(OtaDbContext db) =>
        (await db.TaskEvents.AsNoTracking()
            .Where(e => e.Kind == TaskEventKind.NoticeResent && (e.Detail!.Contains("re-sent") || e.Detail.Contains("repeated")))
            .Join(db.Tasks, e => e.TaskId, t => t.Id, (e, t) => t.DeviceName).ToListAsync())
        .GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
}
