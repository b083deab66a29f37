using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Devices;

/// <summary>
/// Device secrets are kept encrypted in the database (ASP.NET Core Data Protection, whose keys are files outside
/// it), so a copy of ota.db alone lets nobody sign in as a device. The console reads a secret back to check a
/// sign-in and to show it to those who register devices.
/// </summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    // A device secret is printable text, so a stored value starting with a control character is an encrypted one.
    private const string Prefix = "\u0001dp1:";
    private readonly IDataProtector _protector = provider.CreateProtector("OtaConsole.DeviceSecrets.v1");

    public string Protect(string secret) => Prefix + _protector.Protect(secret);

    /// <summary>The secret itself; a value stored before secrets were encrypted is still plain, and read as it is.</summary>
    public string Reveal(string stored) => IsProtected(stored) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>At start: encrypts the secrets of a database from before they were (a thousand at a time). Returns how many.</summary>
    public async Task<int> ProtectPlainSecretsAsync(IDbContextFactory<OtaDbContext> dbs, CancellationToken ct)
    {
        var done = 0;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var plain = await db.Devices.Where(d => !d.DeviceSecret.StartsWith(Prefix)).OrderBy(d => d.Id).Take(1000).ToListAsync(ct);
            if (plain.Count == 0)
                return done;
            foreach (var d in plain)
                d.DeviceSecret = Protect(d.DeviceSecret);
            await db.SaveChangesAsync(ct);
            done += plain.Count;
        }
    }
}
