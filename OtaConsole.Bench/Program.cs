using System.Diagnostics;
using System.Text.Json;
using OtaConsole.Bench;

// dotnet run -c Release --project OtaConsole.Bench -- <scenario>... [--runs N] [--pages N] [--db sqlite|postgres] [--nodes N]
// Each scenario prints one JSON object per line, with its reference measured in the same run.
if (args is ["fleet-child"])
    return await FleetChild.RunAsync();

// ingest-burst --pages N: the burst again with N live pages open in a headless browser.
var pages = 0;
var pagesAt = Array.IndexOf(args, "--pages");
if (pagesAt >= 0 && (pagesAt + 1 >= args.Length || !int.TryParse(args[pagesAt + 1], out pages) || pages < 0))
{
    Console.Error.WriteLine("--pages takes a number of pages");
    return 2;
}
if (pagesAt >= 0)
    args = [.. args[..pagesAt], .. args[(pagesAt + 2)..]];

// --db sqlite|postgres: the database the core scenarios run on (PostgreSQL: a private durable server the harness starts).
var dbAt = Array.IndexOf(args, "--db");
if (dbAt >= 0)
{
    if (dbAt + 1 >= args.Length || !Enum.TryParse<BenchDb>(args[dbAt + 1], ignoreCase: true, out var db))
    {
        Console.Error.WriteLine("--db takes sqlite or postgres");
        return 2;
    }
    BenchArgs.Db = db;
    args = [.. args[..dbAt], .. args[(dbAt + 2)..]];
}

// fleet-e2e --nodes N (with --db postgres): N console nodes through mosquitto, one killed half-way.
var nodesAt = Array.IndexOf(args, "--nodes");
if (nodesAt >= 0)
{
    if (nodesAt + 1 >= args.Length || !int.TryParse(args[nodesAt + 1], out var nodes) || nodes is < 1 or > 8)
    {
        Console.Error.WriteLine("--nodes takes 1 to 8");
        return 2;
    }
    if (nodes > 1 && BenchArgs.Db != BenchDb.Postgres)
    {
        Console.Error.WriteLine("--nodes 2 or more needs --db postgres: several nodes share one PostgreSQL");
        return 2;
    }
    ClusterScenario.Nodes = nodes;
    args = [.. args[..nodesAt], .. args[(nodesAt + 2)..]];
}

var scenarios = new Dictionary<string, Func<int, Task<object>>>
{
    ["batch-create"] = CoreScenarios.BatchCreateAsync,
    ["event-apply"] = CoreScenarios.EventApplyAsync,
    ["push-rate"] = _ => CoreScenarios.PushRateAsync(),
    ["push-rate-virtual"] = _ => CoreScenarios.PushRateVirtualAsync(),
    ["fleet-e2e"] = r => ClusterScenario.Nodes > 1 ? ClusterScenario.FleetNodesAsync(r) : BridgeScenarios.FleetE2eAsync(r),
    ["ingest-burst"] = r => BridgeScenarios.IngestBurstAsync(r, pages),
    ["device-list"] = ConsoleScenarios.DeviceListAsync,
    ["click-latency"] = BridgeScenarios.ClickLatencyAsync,
    ["blast-radius"] = BridgeScenarios.BlastRadiusAsync,
    ["api-list"] = ApiScenarios.ApiListAsync,
    ["explain"] = ExplainScenario.ExplainAsync,
    ["webhooks"] = WebhookBench.FleetAsync,
};

var runs = 3;
var names = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--runs" && i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0)
        runs = n;
    else if (args[i] != "--runs" && (i == 0 || args[i - 1] != "--runs"))
        names.Add(args[i]);
}
if (names.Count == 0 || names.Any(n => n != "all" && !scenarios.ContainsKey(n)))
{
    Console.Error.WriteLine($"usage: OtaConsole.Bench <{string.Join("|", scenarios.Keys)}|all>... [--runs N] [--pages N] [--db sqlite|postgres] [--nodes N]");
    return 2;
}
if (names.Contains("all"))
    names = [.. scenarios.Keys];
// The long, whole-console scenarios run once unless asked for more.
var explicitRuns = args.Contains("--runs");

foreach (var name in names)
{
    var sw = Stopwatch.StartNew();
    var result = await scenarios[name](name is "fleet-e2e" or "webhooks" or "ingest-burst" or "click-latency" or "blast-radius" && !explicitRuns ? 1 : runs);
    var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    Console.WriteLine(json);
    Console.Error.WriteLine($"# {name} took {sw.Elapsed.TotalSeconds:F1} s");
}
return 0;
