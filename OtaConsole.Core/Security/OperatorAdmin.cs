using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Security;

/// <summary>
/// Admins manage operators: create an account with a role, change its role, disable or enable it. Each change and
/// its audit row are saved in one transaction. Identity hashes the passwords and enforces their rules.
/// </summary>
public sealed class OperatorAdmin(IServiceScopeFactory scopes, TimeProvider time)
{
    public async Task<string> CreateAsync(Actor actor, string email, string password, OperatorRole role, CancellationToken ct = default) =>
        await RunAsync(actor, new("operator.create", "create operators", "operator", email, new { email, role }, OperatorRole.Admin), async (users, db) =>
        {
            var account = new OperatorAccount { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = time.GetUtcNow() };
            Check(await users.CreateAsync(account, password), "Password");
            Check(await users.AddToRoleAsync(account, role.ToString()), "Role");
            return account.Id;
        }, ct);

    public async Task SetRoleAsync(Actor actor, string accountId, OperatorRole role, CancellationToken ct = default) =>
        await RunAsync(actor, new("operator.set-role", "change operators' roles", "operator", accountId, new { role }, OperatorRole.Admin), async (users, db) =>
        {
            var account = await FindAsync(users, accountId);
            if (account.Id == actor.Id && role != OperatorRole.Admin)
                throw OtaException.Conflict("OwnRole", "You cannot take the Admin role from yourself; ask another Admin.");
            var current = await users.GetRolesAsync(account);
            if (current.Count > 0)
                Check(await users.RemoveFromRolesAsync(account, current), "Role");
            Check(await users.AddToRoleAsync(account, role.ToString()), "Role");
            // Open pages of this operator are revalidated against the stamp: the new role applies at once.
            Check(await users.UpdateSecurityStampAsync(account), "Role");
            return true;
        }, ct);

    public async Task SetDisabledAsync(Actor actor, string accountId, bool disabled, CancellationToken ct = default) =>
        await RunAsync(actor, new(disabled ? "operator.disable" : "operator.enable", "disable or enable operators", "operator", accountId, null, OperatorRole.Admin), async (users, db) =>
        {
            var account = await FindAsync(users, accountId);
            if (account.Id == actor.Id && disabled)
                throw OtaException.Conflict("OwnAccount", "You cannot disable your own account.");
            account.DisabledAt = disabled ? time.GetUtcNow() : null;
            Check(await users.UpdateAsync(account), "Account");
            Check(await users.UpdateSecurityStampAsync(account), "Account");
            return true;
        }, ct);

    /// <summary>
    /// Limits a Viewer or Operator to some products (none given: every product). Each key must name a product; open
    /// pages of the account are revalidated, and its next command already works within the new scope.
    /// </summary>
    public async Task SetProductScopeAsync(Actor actor, string accountId, IReadOnlyList<string>? productKeys, CancellationToken ct = default) =>
        await RunAsync(actor, new("operator.set-products", "change operators' products", "operator", accountId, new { products = productKeys }, OperatorRole.Admin), async (users, db) =>
        {
            var account = await FindAsync(users, accountId);
            account.ProductScope = await ProductScoping.StoredAsync(db, productKeys, ct);
            Check(await users.UpdateAsync(account), "Account");
            Check(await users.UpdateSecurityStampAsync(account), "Account");
            return true;
        }, ct);

    /// <summary>The first administrator, from settings or the set-up page: refused once any operator exists.</summary>
    public async Task<string> CreateFirstAdminAsync(string email, string password, string? address, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OtaDbContext>();
        if (await db.Users.AnyAsync(ct))
            throw OtaException.Conflict("AdminExists", "An administrator already exists: sign in, or ask an Admin for an account.");
        var setup = new Actor(ActorKind.Operator, email, email, OperatorRole.Admin, address);
        return await CreateAsync(setup, email, password, OperatorRole.Admin, ct);
    }

    /// <summary>
    /// A single sign-on: the account linked to the provider's subject, created on its first sign-in, its role set to
    /// what the provider's groups map to (so a group removed at the provider is a role removed here). Refused, with the
    /// reason, when the groups map to no role, the account is disabled, or the email belongs to an account of another kind.
    /// </summary>
    public async Task<string> ExternalSignInAsync(string provider, string subject, string? email, OperatorRole? role, string? address, CancellationToken ct = default)
    {
        var name = string.IsNullOrWhiteSpace(email) ? $"{subject}@{provider}" : email.Trim();
        var who = new Actor(ActorKind.Operator, subject, name, role ?? OperatorRole.Viewer, address);
        return await RunAsync(who, new("operator.sso", "sign in", "operator", name, new { provider, role }, OperatorRole.Viewer), async (users, db) =>
        {
            if (role is null)
                throw OtaException.Forbidden($"{name} has none of the groups that give a role in OtaConsole (Ota:Auth:Oidc:RoleMap).");
            var account = await users.FindByLoginAsync(provider, subject);
            if (account is null)
            {
                if (await users.FindByEmailAsync(name) is not null)
                    throw OtaException.Conflict("AccountExists", $"An OtaConsole account {name} exists already and is not linked to single sign-on: ask an Admin.");
                account = new OperatorAccount { UserName = name, Email = name, EmailConfirmed = true, ExternalProvider = provider, CreatedAt = time.GetUtcNow() };
                Check(await users.CreateAsync(account), "Account");
                Check(await users.AddLoginAsync(account, new UserLoginInfo(provider, subject, provider)), "Account");
            }
            if (account.DisabledAt is not null)
                throw OtaException.Forbidden($"{name} is disabled in OtaConsole: ask an Admin.");
            var current = await users.GetRolesAsync(account);
            if (current.Count != 1 || current[0] != role.ToString())
            {
                if (current.Count > 0)
                    Check(await users.RemoveFromRolesAsync(account, current), "Role");
                Check(await users.AddToRoleAsync(account, role.Value.ToString()), "Role");
                Check(await users.UpdateSecurityStampAsync(account), "Role");
            }
            return account.Id;
        }, ct);
    }

    /// <summary>
    /// Starts setting up an authenticator app for the operator's own local account: a new key, as the text to type
    /// and the otpauth:// URI authenticator apps read. Two-factor sign-in is on only once a code is confirmed.
    /// </summary>
    public async Task<(string Key, string Uri)> BeginTwoFactorAsync(Actor self, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<OperatorAccount>>();
        var account = await OwnLocalAccountAsync(users, self);
        if (account.TwoFactorEnabled)
            throw OtaException.Conflict("TwoFactorOn", "Two-factor sign-in is on already; turn it off first to use another app.");
        Check(await users.ResetAuthenticatorKeyAsync(account), "Authenticator");
        var key = (await users.GetAuthenticatorKeyAsync(account))!;
        var label = Uri.EscapeDataString($"OtaConsole:{account.Email}");
        return (key, $"otpauth://totp/{label}?secret={key}&issuer=OtaConsole&digits=6");
    }

    /// <summary>Turns two-factor sign-in on once the operator's app shows a code that matches the key.</summary>
    public Task EnableTwoFactorAsync(Actor self, string code, CancellationToken ct = default) =>
        RunAsync(self, new("operator.2fa-on", "turn on two-factor sign-in", "operator", self.Id, null, OperatorRole.Viewer), async (users, db) =>
        {
            var account = await OwnLocalAccountAsync(users, self);
            var clean = code.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
            if (!await users.VerifyTwoFactorTokenAsync(account, users.Options.Tokens.AuthenticatorTokenProvider, clean))
                throw new OtaValidationException([new FieldError("Code", "that code does not match: check the app's clock and try the next code.")]);
            Check(await users.SetTwoFactorEnabledAsync(account, true), "Authenticator");
            return true;
        }, ct);

    /// <summary>Turns two-factor sign-in off: by the operator, or by an Admin for someone who lost their app.</summary>
    public Task DisableTwoFactorAsync(Actor actor, string accountId, CancellationToken ct = default) =>
        RunAsync(actor, new("operator.2fa-off", "turn off two-factor sign-in", "operator", accountId, null, accountId == actor.Id ? OperatorRole.Viewer : OperatorRole.Admin), async (users, db) =>
        {
            var account = await FindAsync(users, accountId);
            Check(await users.SetTwoFactorEnabledAsync(account, false), "Authenticator");
            Check(await users.ResetAuthenticatorKeyAsync(account), "Authenticator");
            return true;
        }, ct);

    private static async Task<OperatorAccount> OwnLocalAccountAsync(UserManager<OperatorAccount> users, Actor self)
    {
        var account = await FindAsync(users, self.Id);
        if (account.ExternalProvider is not null)
            throw OtaException.Conflict("SingleSignOn", "This account signs in with single sign-on: two-factor sign-in is the provider's.");
        return account;
    }

    private async Task<T> RunAsync<T>(Actor actor, AuditedCommand command, Func<UserManager<OperatorAccount>, OtaDbContext, Task<T>> work, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<OperatorAccount>>();
        var db = scope.ServiceProvider.GetRequiredService<OtaDbContext>();
        try
        {
            actor.Require(command.Role, command.What);
            await EnsureRolesAsync(scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>());
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // Identity's store saves this context: the audit row goes with the account's own save.
            Audit.Add(db, actor, time.GetUtcNow(), command.Action, command.TargetType, command.TargetId, command.Details);
            var result = await work(users, db);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return result;
        }
        catch (OtaException e)
        {
            db.ChangeTracker.Clear();
            await scope.ServiceProvider.GetRequiredService<AuditedWrites>().RecordRefusalAsync(actor, command, e.Message, ct);
            throw;
        }
    }

    private static async Task EnsureRolesAsync(RoleManager<IdentityRole> roles)
    {
        foreach (var role in Enum.GetNames<OperatorRole>())
            if (!await roles.RoleExistsAsync(role))
                Check(await roles.CreateAsync(new IdentityRole(role)), "Role");
    }

    private static async Task<OperatorAccount> FindAsync(UserManager<OperatorAccount> users, string accountId) =>
        await users.FindByIdAsync(accountId) ?? throw OtaException.NotFound("Operator", accountId);

    /// <summary>Identity's refusals (a weak password, a taken email) as the core's, with Identity's own words.</summary>
    private static void Check(IdentityResult result, string field)
    {
        if (!result.Succeeded)
            throw new OtaValidationException(result.Errors.Select(e => new FieldError(field, e.Description)).ToList());
    }
}
