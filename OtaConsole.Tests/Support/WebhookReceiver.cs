using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OtaConsole.Tests.Support;

/// <summary>
/// A real HTTP receiver (Kestrel on a port of its own) that checks every request's signature itself, as a
/// customer's would, and answers what the test says: by the request's number, 200 unless told otherwise.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Request(int Number, string DeliveryId, string ContentType, string Body, bool SignatureValid, IReadOnlyList<JsonElement> Events, int Answered);

    private readonly WebApplication _app;
    private int _count;

    public WebhookReceiver(string secret)
    {
        Secret = secret;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/hook", HandleAsync);
    }

    public string Secret { get; }
    /// <summary>What to answer to the Nth request (1-based).</summary>
    public Func<int, int> Answer { get; set; } = _ => 200;
    /// <summary>Every request, answered or not, in arrival order.</summary>
    public ConcurrentQueue<Request> Requests { get; } = new();
    public string Url { get; private set; } = "";

    /// <summary>The delivery ids it answered 2xx, each with its events; a repeat of one is counted once.</summary>
    public IEnumerable<Request> Acknowledged => Requests.Where(r => r.Answered is >= 200 and < 300).DistinctBy(r => r.DeliveryId);

    public static async Task<WebhookReceiver> StartAsync(string secret = "a-receiver-secret-0123456789")
    {
        var r = new WebhookReceiver(secret);
        await r._app.StartAsync();
        var address = r._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        r.Url = address.TrimEnd('/') + "/hook";
        return r;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var timestamp = context.Request.Headers["X-Ota-Timestamp"].ToString();
        var signature = context.Request.Headers["X-Ota-Signature"].ToString();
        // The receiver's own check, written from the README's recipe, not the console's code.
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray()));
        var valid = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
        var text = Encoding.UTF8.GetString(body);
        var root = JsonDocument.Parse(text).RootElement.Clone();
        var events = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root];
        var n = Interlocked.Increment(ref _count);
        var answer = Answer(n);
        Requests.Enqueue(new Request(n, context.Request.Headers["X-Ota-Delivery"].ToString(), context.Request.ContentType ?? "", text, valid, events, answer));
        context.Response.StatusCode = answer;
        await context.Response.WriteAsync(answer is >= 200 and < 300 ? "ok" : "not now");
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
