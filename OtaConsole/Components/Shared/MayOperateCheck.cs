using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using OtaConsole.Security;

namespace OtaConsole.Components.Shared;

/// <summary>
/// Whether the page's operator may act (Operator or Admin), decided once per page for lists whose every row has
/// buttons: one check instead of an AuthorizeView per button per render. The core refuses a Viewer anyway.
/// </summary>
public static class MayOperateCheck
{
    public static async Task<bool> For(Task<AuthenticationState>? state, IAuthorizationService authorization) =>
        state is not null && (await authorization.AuthorizeAsync((await state).User, OtaAuth.Operate)).Succeeded;
}
