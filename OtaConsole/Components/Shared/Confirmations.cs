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

    public static async Task<bool> CancelTasksAsync(IDialogService dialogs, int devices) =>
        await dialogs.ShowMessageBoxAsync(devices == 1 ? "Cancel 1 device's update" : $"Cancel {Labels.Count(devices)} devices' updates",
            $"Each update that has not ended ends as Canceled and is not pushed again; a device already installing may still finish. " +
            "Updates that ended already are left as they are. You can start them again with Update again.",
            yesText: "Cancel the updates", cancelText: "Keep them") == true;

    public static async Task<bool> RetryFailedAsync(IDialogService dialogs, int devices) =>
        await dialogs.ShowMessageBoxAsync("Retry all failed",
            $"Update the {Labels.Count(devices)} {(devices == 1 ? "device" : "devices")} whose update failed again, at the batch's push rate? A device busy with another update is left out.",
            yesText: "Update them again", cancelText: "Not now") == true;
}
