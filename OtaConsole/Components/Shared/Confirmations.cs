using MudBlazor;

namespace OtaConsole.Components.Shared;

/// <summary>The one question a destructive action asks before it runs, in the same words wherever it is offered.</summary>
public static class Confirmations
{
    public static async Task<bool> CancelTaskAsync(IDialogService dialogs, string deviceName) =>
        await dialogs.ShowMessageBoxAsync("Cancel this device's update",
            $"The update of {deviceName} ends as Canceled and is not pushed again; a device already installing it may still finish. " +
            "You can start it again with Update again.",
            yesText: "Cancel the update", cancelText: "Keep it") == true;
}
