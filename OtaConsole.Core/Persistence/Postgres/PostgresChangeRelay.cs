using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Persistence.Postgres;

/// <summary>
/// Live pages on every node: each change committed here is sent to the other nodes with PostgreSQL's NOTIFY, as
/// the ids of what changed (never the data), and each node LISTENs and hands what the others changed to its own
/// change feed. A change that names more ids than one notification holds (8,000 bytes) goes out in several.
/// </summary>
public sealed class PostgresChangeRelay(OtaChangeFeed feed, IOptions<OtaOptions> options, TimeProvider time, ILogger<PostgresChangeRelay> log) : BackgroundService
{
    public const string Channel = "ota_changes";
    private const int MaxPayload = 7_900;
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly Channel<OtaChange> _outgoing = System.Threading.Channels.Channel.CreateUnbounded<OtaChange>(new UnboundedChannelOptions { SingleReader = true });

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // One node on SQLite has nobody to tell.
        if (options.Value.Database.Provider != DatabaseProvider.Postgres)
            return Task.CompletedTask;
        feed.Outgoing = c => _outgoing.Writer.TryWrite(c);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        feed.Outgoing = null;
        await base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(KeepAsync("sending", SendAsync, stoppingToken), KeepAsync("listening", ListenAsync, stoppingToken));

    /// <summary>Runs a loop on its own connection, and opens a new one after a failure (a restarted server, a failover).</summary>
    private async Task KeepAsync(string what, Func<NpgsqlConnection, CancellationToken, Task> loop, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(options.Value.Database.ConnectionString);
                await connection.OpenAsync(ct);
                await loop(connection, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                log.LogWarning(e, "Change relay stopped {What}; it reconnects in a second", what);
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task SendAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        while (await _outgoing.Reader.WaitToReadAsync(ct))
        {
            // Everything that piled up while the last notification was on its way goes out merged.
            _outgoing.Reader.TryRead(out var change);
            while (_outgoing.Reader.TryRead(out var more))
                change = change!.Merge(more);
            foreach (var payload in Payloads(_origin, change!))
            {
                await using var cmd = new NpgsqlCommand("SELECT pg_notify(@c, @p)", connection);
                cmd.Parameters.AddWithValue("c", Channel);
                cmd.Parameters.AddWithValue("p", payload);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private async Task ListenAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        connection.Notification += (_, e) =>
        {
            if (Parse(e.Payload) is { Origin: var origin, Change: var change } && origin != _origin)
                feed.PublishFromOtherNode(change);
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
            await listen.ExecuteNonQueryAsync(ct);
        while (true)
            await connection.WaitAsync(ct);
    }

    /// <summary>The notifications that carry one change: its flags in the first, its ids spread so none is too long.</summary>
    internal static List<string> Payloads(string origin, OtaChange change)
    {
        var messages = new List<string>();
        var current = new Message(origin, change.DevicesChanged, change.CatalogChanged);
        var size = Size(current);
        var lists = new (Func<Message, List<string>> List, IReadOnlySet<string> Ids)[] { (m => m.B, change.BatchIds), (m => m.P, change.PackageIds), (m => m.T, change.TaskBatchIds) };
        foreach (var (list, ids) in lists)
            foreach (var id in ids)
            {
                var more = JsonEncodedText.Encode(id).EncodedUtf8Bytes.Length + 3; // quotes and a comma
                if (size + more > MaxPayload)
                {
                    messages.Add(JsonSerializer.Serialize(current));
                    current = new Message(origin, false, false);
                    size = Size(current);
                }
                list(current).Add(id);
                size += more;
            }
        messages.Add(JsonSerializer.Serialize(current));
        return messages;
    }

    private static int Size(Message m) => Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(m));

    internal static (string Origin, OtaChange Change)? Parse(string payload)
    {
        try
        {
            var m = JsonSerializer.Deserialize<Message>(payload);
            if (m is null)
                return null;
            return (m.O, new OtaChange(m.B.ToHashSet(), m.P.ToHashSet(), m.D, m.C, m.T.ToHashSet()));
        }
        catch (JsonException)
        {
            return null; // not ours: another program on the same channel
        }
    }

    /// <summary>Short field names: a notification holds at most 8,000 bytes.</summary>
    internal sealed class Message(string o, bool d, bool c)
    {
        public string O { get; set; } = o;
        public bool D { get; set; } = d;
        public bool C { get; set; } = c;
        public List<string> B { get; set; } = [];
        public List<string> P { get; set; } = [];
        public List<string> T { get; set; } = [];
    }
}
