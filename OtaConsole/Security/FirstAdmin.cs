using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OtaConsole.Core;
using OtaConsole.Core.Security;

namespace OtaConsole.Security;

/// <summary>
/// The first run: with no operator yet, either the administrator from Ota:Auth:InitialAdmin is created, or the
/// console offers /account/setup, to the machine itself (loopback) or to whoever has the one-time code it logs.
/// </summary>
public sealed class FirstAdmin(OperatorDirectory directory, OperatorAdmin admin, IOptions<AuthOptions> options, ILogger<FirstAdmin> log) : IHostedService
{
    private readonly Lock _gate = new();
    private string? _code;

    /// <summary>Whether the set-up page is open: no operator existed at start and none has been created since.</summary>
    public bool Open { get; private set; }

    public async Task StartAsync(CancellationToken ct)
    {
        if (await directory.AnyAsync(ct))
            return;
        if (!options.Value.LocalAccounts)
        {
            log.LogInformation("No operator exists yet; local accounts are off: the first operators sign in with single sign-on, with the role Ota:Auth:Oidc:RoleMap gives their groups.");
            return;
        }
        var initial = options.Value.InitialAdmin;
        if (!string.IsNullOrWhiteSpace(initial.Email) && !string.IsNullOrEmpty(initial.Password))
        {
            try
            {
                await admin.CreateFirstAdminAsync(initial.Email.Trim(), initial.Password, "settings", ct);
                log.LogInformation("Created the first administrator {Email} from Ota:Auth:InitialAdmin. Sign in with that email and password.", initial.Email.Trim());
                return;
            }
            catch (OtaException e)
            {
                // A weak password, say: the set-up page below still lets someone at the machine finish.
                log.LogError("Ota:Auth:InitialAdmin could not be created: {Reason}", e.Message);
            }
        }
        _code = Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
        Open = true;
        log.LogWarning("No operator exists yet. Open /account/setup in a browser on this machine to create the first administrator, " +
                       "or from elsewhere with the one-time set-up code {Code}. (Or set Ota__Auth__InitialAdmin__Email and __Password and restart.)", _code);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Whether this request may use the set-up page: from the machine itself, or with the code.</summary>
    public bool Allows(IPAddress? remote, string? code)
    {
        if (!Open)
            return false;
        if (remote is not null && IPAddress.IsLoopback(remote))
            return true;
        return code is not null && _code is not null &&
               CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(code.Trim().ToUpperInvariant()), System.Text.Encoding.UTF8.GetBytes(_code));
    }

    public async Task<string> CreateAsync(string email, string password, string? address, CancellationToken ct)
    {
        var id = await admin.CreateFirstAdminAsync(email, password, address, ct);
        lock (_gate)
        {
            Open = false;
            _code = null;
        }
        return id;
    }
}
