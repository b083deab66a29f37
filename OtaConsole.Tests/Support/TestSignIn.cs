using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Support;

/// <summary>
/// Who is signed in, for bUnit: a real operator account in the test's database (so the core sees its role) and the
/// principal a page's AuthorizeView and the console's real policies judge, as Identity's cookie would carry them.
/// </summary>
public sealed class TestSignIn(TestDatabase database) : AuthenticationStateProvider
{
    private ClaimsPrincipal _user = new(new ClaimsIdentity());

    public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(_user));

    /// <summary>Creates (or reuses) the account with this role and signs it in; returns the account's id.</summary>
    public string As(OperatorRole role, string? email = null)
    {
        email ??= $"{role.ToString().ToLowerInvariant()}@console.test";
        var id = AddAccount(database, email, role);
        _user = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, id),
            new Claim(ClaimTypes.Name, email),
            new Claim(ClaimTypes.Email, email),
            new Claim(ClaimTypes.Role, role.ToString()),
        ], "Identity.Application"));
        NotifyAuthenticationStateChanged(GetAuthenticationStateAsync());
        return id;
    }

    public void SignOut()
    {
        _user = new ClaimsPrincipal(new ClaimsIdentity());
        NotifyAuthenticationStateChanged(GetAuthenticationStateAsync());
    }

    /// <summary>An account row and its role, written directly (no password: bUnit never signs in through a form).</summary>
    public static string AddAccount(TestDatabase database, string email, OperatorRole role)
    {
        using var db = database.CreateDbContext();
        var existing = db.Users.AsNoTracking().FirstOrDefault(u => u.Email == email);
        if (existing is not null)
            return existing.Id;
        var roleRow = db.Roles.FirstOrDefault(r => r.Name == role.ToString());
        if (roleRow is null)
        {
            roleRow = new IdentityRole(role.ToString()) { NormalizedName = role.ToString().ToUpperInvariant() };
            db.Roles.Add(roleRow);
        }
        var account = new OperatorAccount { UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(), SecurityStamp = Guid.NewGuid().ToString("N") };
        db.Users.Add(account);
        db.UserRoles.Add(new IdentityUserRole<string> { UserId = account.Id, RoleId = roleRow.Id });
        db.SaveChanges();
        return account.Id;
    }
}
