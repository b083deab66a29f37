using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Security;

/// <summary>Two-factor sign-in with an authenticator app (TOTP, RFC 6238), through the real sign-in pages.</summary>
public sealed class TwoFactorTests
{
    [Fact]
    public async Task With_an_authenticator_on_the_password_alone_does_not_sign_in_and_the_code_does()
    {
        // Authenticator codes follow the real clock, as the operator's phone does.
        await using var host = await ConsoleHost.StartAsync(realTime: true);
        var admin = host.Services.GetRequiredService<OperatorAdmin>();
        var me = host.AdminActor();
        var (key, uri) = await admin.BeginTwoFactorAsync(me);
        Assert.StartsWith("otpauth://totp/OtaConsole%3A", uri);
        await Assert.ThrowsAsync<OtaValidationException>(() => admin.EnableTwoFactorAsync(me, "000000"));
        await admin.EnableTwoFactorAsync(me, Totp(key, DateTimeOffset.UtcNow));

        using var http = host.NewClient();
        var password = await ConsoleHost.SignInAsync(http, ConsoleHost.AdminEmail, ConsoleHost.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, password.StatusCode);
        Assert.StartsWith("/account/login-code", password.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHost.PageAsync(http, "/")).StatusCode); // not signed in yet

        var form = await http.GetStringAsync(password.Headers.Location.PathAndQuery);
        var wrong = await PostCodeAsync(http, form, "123456");
        Assert.Contains("does not match", await wrong.Content.ReadAsStringAsync());
        var right = await PostCodeAsync(http, await http.GetStringAsync("/account/login-code"), Totp(key, DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ConsoleHost.PageAsync(http, "/")).StatusCode);

        await using var db = host.Db();
        var actions = db.AuditEntries.OrderBy(a => a.Id).Select(a => new { a.Action, a.Succeeded, a.Error }).ToList();
        Assert.Contains(actions, a => a.Action == "operator.2fa-on" && a.Succeeded);
        Assert.Contains(actions, a => a.Action == "operator.2fa-on" && !a.Succeeded); // the wrong first code
        Assert.Contains(actions, a => a.Action == "operator.sign-in" && a.Error == "wrong authenticator code");
    }

    [Fact]
    public async Task An_admin_turns_off_another_operator_s_authenticator_and_an_operator_cannot()
    {
        await using var host = await ConsoleHost.StartAsync(realTime: true);
        var admin = host.Services.GetRequiredService<OperatorAdmin>();
        var opsId = await host.AddOperatorAsync("ops@console.test", OperatorRole.Operator);
        var ops = (await host.Services.GetRequiredService<OperatorDirectory>().ActorAsync(opsId, null))!;
        var (key, _) = await admin.BeginTwoFactorAsync(ops);
        await admin.EnableTwoFactorAsync(ops, Totp(key, DateTimeOffset.UtcNow));
        var other = await host.AddOperatorAsync("other@console.test", OperatorRole.Operator);

        Assert.Equal(OtaErrorKind.Forbidden, (await Assert.ThrowsAsync<OtaException>(() => admin.DisableTwoFactorAsync(ops, other))).Kind);
        await admin.DisableTwoFactorAsync(host.AdminActor(), opsId);

        Assert.False(await host.Services.GetRequiredService<OperatorDirectory>().TwoFactorOnAsync(opsId));
        using var http = await host.SignedInClientAsync("ops@console.test", ConsoleHost.OperatorPassword);
    }

    private static Task<HttpResponseMessage> PostCodeAsync(HttpClient http, string form, string code) =>
        http.PostAsync("/account/login-code", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login-code",
            ["__RequestVerificationToken"] = ConsoleHost.AntiforgeryToken(form),
            ["Input.Code"] = code,
        }));


    /// <summary>An authenticator app's code (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), written here from the RFC.</summary>
    private static string Totp(string base32Key, DateTimeOffset at)
    {
        var key = Base32(base32Key);
        var counter = BitConverter.GetBytes(at.ToUnixTimeSeconds() / 30);
        if (BitConverter.IsLittleEndian)
            Array.Reverse(counter);
        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[^1] & 0x0F;
        var binary = ((hash[offset] & 0x7F) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = 0;
        var value = 0;
        var bytes = new List<byte>();
        foreach (var c in text.TrimEnd('=').ToUpperInvariant())
        {
            value = (value << 5) | alphabet.IndexOf(c);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(value >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }
}
