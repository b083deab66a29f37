using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Api;

/// <summary>A key as an Admin sees it: never its secret.</summary>
public sealed record ApiKeySummary(string Id, string Name, ApiRole Role, bool FromSettings, DateTimeOffset? CreatedAt, string? CreatedBy, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt,
    IReadOnlyList<string>? Products = null);

/// <summary>A new key: its secret is shown this once.</summary>
public sealed record NewApiKey(string Id, string Secret, ApiRole Role);

/// <summary>
/// Access keys managed in the console by Admins: made (the secret shown once), listed with when they were last used,
/// revoked. Secrets are encrypted at rest. The keys in use are cached and read again after a change here, or every
/// <see cref="Refresh"/> (a change made on another node).
/// </summary>
public sealed class ApiKeyStore(IDbContextFactory<OtaDbContext> dbs, IDataProtectionProvider protection, AuditedWrites audited, TimeProvider time)
{
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);
    private readonly IDataProtector _protector = protection.CreateProtector("OtaConsole.ApiKeys.v1");
    private readonly Lock _gate = new();
    private IReadOnlyList<ApiAccessKey>? _active;
    private DateTimeOffset _readAt;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _touched = new(StringComparer.Ordinal);

    /// <param name="products">The products the key's scripts work on; null or empty: every product.</param>
    public async Task<NewApiKey> CreateAsync(Actor actor, string name, ApiRole role, IReadOnlyList<string>? products = null, CancellationToken ct = default)
    {
        var id = "LTAI" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 20);
        var secret = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 30);
        await audited.RunAsync(actor, new("key.create", "make API keys", "key", id, new { name, role, products }, OperatorRole.Admin), async db =>
        {
            if (string.IsNullOrWhiteSpace(name) || !NameRules.IsPlainText(name, 64))
                throw new OtaValidationException([new FieldError("Name", "a key's name is 1-64 characters of plain text.", string.IsNullOrEmpty(name))]);
            db.ApiKeys.Add(new ApiKeyRecord { Id = id, Name = name.Trim(), Role = role, ProtectedSecret = _protector.Protect(secret), CreatedAt = time.GetUtcNow(), CreatedBy = actor.Name,
                ProductScope = await ProductScoping.StoredAsync(db, products, ct) });
            return true;
        }, null, ct);
        Forget();
        return new NewApiKey(id, secret, role);
    }

    public async Task RevokeAsync(Actor actor, string id, CancellationToken ct = default)
    {
        await audited.RunAsync(actor, new("key.revoke", "revoke API keys", "key", id, null, OperatorRole.Admin), async db =>
        {
            var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct) ?? throw OtaException.NotFound("AccessKey", id);
            if (key.RevokedAt is not null)
                throw OtaException.Conflict("KeyRevoked", $"Key {id} is revoked already.");
            key.RevokedAt = time.GetUtcNow();
            return true;
        }, null, ct);
        Forget();
    }

    /// <summary>The console's keys (newest first), for Admins.</summary>
    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(OperatorRole.Admin, "see the API keys");
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.ApiKeys.AsNoTracking().OrderByDescending(k => k.CreatedAt).ToListAsync(ct);
        return rows.Select(k => new ApiKeySummary(k.Id, k.Name, k.Role, false, k.CreatedAt, k.CreatedBy, k.LastUsedAt, k.RevokedAt, ProductScoping.Parse(k.ProductScope))).ToList();
    }

    /// <summary>The keys that may sign requests now, secrets decrypted.</summary>
    public IReadOnlyList<ApiAccessKey> Active()
    {
        lock (_gate)
        {
            if (_active is not null && time.GetUtcNow() - _readAt < Refresh)
                return _active;
        }
        using var db = dbs.CreateDbContext();
        var rows = db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).Select(k => new { k.Id, k.ProtectedSecret, k.Role, k.ProductScope }).ToList();
        var keys = rows.Select(k => new ApiAccessKey { Id = k.Id, Secret = _protector.Unprotect(k.ProtectedSecret), Role = k.Role, Products = ProductScoping.Parse(k.ProductScope) }).ToList();
        lock (_gate)
        {
            _active = keys;
            _readAt = time.GetUtcNow();
        }
        return keys;
    }

    /// <summary>Notes that a key signed a request: written at most once a minute per key, off the request's path.</summary>
    public void Touch(string id)
    {
        var now = time.GetUtcNow();
        if (_touched.TryGetValue(id, out var last) && now - last < TouchEvery)
            return;
        _touched[id] = now;
        _ = Task.Run(async () =>
        {
            try
            {
                await using var db = await dbs.CreateDbContextAsync();
                await db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now));
            }
            catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException)
            {
                // "Last used" is a hint for Admins; a busy database may skip one.
            }
        });
    }

    private void Forget()
    {
        lock (_gate)
            _active = null;
    }
}
