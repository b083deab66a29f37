using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OtaConsole.Core;
using OtaConsole.Core.Api;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;

namespace OtaConsole.Bench;

/// <summary>
/// The API's cost over the console's: ListOTATaskByJob on a 100,000-task batch, signed and checked, answered as
/// JSON, against the Device List query the console's page runs for the same 100 tasks.
/// </summary>
internal static class ApiScenarios
{
    private const int Tasks = 100_000;
    private const string KeyId = "bench", Secret = "bench-secret";

    private sealed record Case(string Name, Dictionary<string, string> Parameters, DeviceListQuery Console);

    public static async Task<object> ApiListAsync(int runs)
    {
        using var w = await BenchWorld.CreateAsync();
        await w.SeedDevicesAsync(Tasks, "1.0.0");
        var package = await w.PackageAsync("2.0.0");
        var batchId = (await w.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await ConsoleScenarios.MixStatesAsync(w, batchId);

        var api = Api(w);
        var queries = new BatchQueries(w);
        Dictionary<string, string> P(params (string K, string V)[] ps) => ps.ToDictionary(p => p.K, p => p.V);
        var named = Enumerable.Range(0, 100).Select(i => BenchWorld.DeviceName(i * 997)).ToList();
        var cases = new List<Case>
        {
            new("first page", P(("JobId", batchId), ("PageSize", "100")), new DeviceListQuery(batchId) { PageSize = 100 }),
            new("status filter", P(("JobId", batchId), ("PageSize", "100"), ("TaskStatus", "IN_PROGRESS")),
                new DeviceListQuery(batchId) { Status = OtaTaskStatus.InProgress, PageSize = 100 }),
            new("page 500 of 1,000", P(("JobId", batchId), ("PageSize", "100"), ("CurrentPage", "500")), new DeviceListQuery(batchId) { Page = 499, PageSize = 100 }),
            new("deepest page (1,000)", P(("JobId", batchId), ("PageSize", "100"), ("CurrentPage", "1000")), new DeviceListQuery(batchId) { Page = 999, PageSize = 100 }),
            new("100 named devices", P([("JobId", batchId), ("PageSize", "100"), .. named.Select((n, i) => ($"DeviceNames.{i + 1}", n))]),
                new DeviceListQuery(batchId) { DeviceNames = named, PageSize = 100 }),
        };

        var iterations = 20 * Math.Max(1, runs);
        var apiMs = new Dictionary<string, List<double>>();
        var consoleMs = new Dictionary<string, List<double>>();
        foreach (var c in cases)
        {
            apiMs[c.Name] = [];
            consoleMs[c.Name] = [];
            for (var i = 0; i < iterations + 2; i++)
            {
                var request = Signed(c.Parameters, w.Time.GetUtcNow());
                var sw = Stopwatch.StartNew();
                var answer = await api.HandleAsync("GET", request);
                var json = answer.ToJson();
                var a = sw.Elapsed.TotalMilliseconds;
                if (answer.Status != 200 || json.Length < 100)
                    throw new InvalidOperationException($"{c.Name}: {json}");
                sw.Restart();
                await queries.DeviceListAsync(Actor.System, c.Console);
                var q = sw.Elapsed.TotalMilliseconds;
                if (i >= 2)
                {
                    apiMs[c.Name].Add(a);
                    consoleMs[c.Name].Add(q);
                }
            }
        }
        var all = apiMs.Values.SelectMany(x => x).ToList();
        var allConsole = consoleMs.Values.SelectMany(x => x).ToList();
        return new
        {
            scenario = "api-list",
            tasks = Tasks,
            page_size = 100,
            samples = all.Count,
            p95_ms = Math.Round(ConsoleScenarios.P95(all), 2),
            console_query_p95_ms = Math.Round(ConsoleScenarios.P95(allConsole), 2),
            ratio = Math.Round(ConsoleScenarios.P95(all) / ConsoleScenarios.P95(allConsole), 2),
            per_case_p95_ms = apiMs.ToDictionary(kv => kv.Key, kv => new { api = Math.Round(ConsoleScenarios.P95(kv.Value), 2), console = Math.Round(ConsoleScenarios.P95(consoleMs[kv.Key]), 2) }),
            target = "p95_ms <= 50 and ratio <= 2",
        };
    }

    private static OtaApi Api(BenchWorld w)
    {
        var ota = Options.Create(new OtaOptions { DataDirectory = w.Folder });
        var downloads = Options.Create(new DownloadOptions { PublicBaseUrl = "http://bench.local" });
        var keys = new StaticOptions(new ApiOptions { AccessKeys = [new ApiAccessKey { Id = KeyId, Secret = Secret, Role = ApiRole.ReadOnly }] });
        var services = new ApiServices(w.Catalog, w.Packages, w.Engine, new BatchQueries(w), new PackageQueries(w), new DeviceQueries(w),
            new UploadStore(ota, w.Time), new DownloadLinks(downloads, ota, w.Time));
        return new OtaApi(new ApiAccess(keys, w.Time), services, new AuditedWrites(w, w.Time), NullLogger<OtaApi>.Instance);
    }

    /// <summary>A request as Alibaba's client signs it; signing is the client's cost, so it is not timed.</summary>
    private static Dictionary<string, string> Signed(Dictionary<string, string> parameters, DateTimeOffset now)
    {
        var p = new Dictionary<string, string>(parameters)
        {
            ["Action"] = "ListOTATaskByJob",
            ["Format"] = "JSON",
            ["Version"] = ApiAccess.Version,
            ["Timestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["SignatureMethod"] = "HMAC-SHA1",
            ["SignatureVersion"] = "1.0",
            ["SignatureNonce"] = Guid.NewGuid().ToString("N"),
            ["AccessKeyId"] = KeyId,
        };
        p["Signature"] = RpcSignature.Sign(RpcSignature.StringToSign("GET", p), Secret);
        return p;
    }

    private sealed class StaticOptions(ApiOptions value) : IOptionsMonitor<ApiOptions>
    {
        public ApiOptions CurrentValue => value;
        public ApiOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<ApiOptions, string?> listener) => null;
    }
}
