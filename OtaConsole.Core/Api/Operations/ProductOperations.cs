using OtaConsole.Core.Model;

namespace OtaConsole.Core.Api.Operations;

/// <summary>
/// Enough of Alibaba's device API for a script to stand a fleet up from nothing: CreateProduct, RegisterDevice,
/// QueryDeviceDetail, QueryDevice, with Alibaba's field names.
/// </summary>
internal static class ProductOperations
{
    private const string Group = "Products and devices";

    public static IEnumerable<ApiOperation> All =>
    [
        new("CreateProduct", Group, Writes: true, "Creates a product (with its default module).",
        [
            new("ProductName", "1-64 characters.", Required: true),
            new("NodeType", "0 (device) or 1 (gateway); OtaConsole treats both as devices that connect themselves.", Required: true),
            new("Description", "At most 100 characters."),
            new("ProductKey", "OtaConsole extension: keep the ProductKey a fleet had at Alibaba, so its devices connect unchanged. Generated when absent."),
        ], CreateProductAsync),
        new("RegisterDevice", Group, Writes: true, "Registers a device and returns its DeviceSecret.",
        [
            new("ProductKey", "The device's product.", Required: true),
            new("DeviceName", "4-32 characters of A-Z a-z 0-9 _ - @ . : ; generated when absent."),
            new("Nickname", "At most 64 characters."),
            new("DeviceSecret", "OtaConsole extension: keep the secret a device had at Alibaba. Generated when absent."),
        ], RegisterDeviceAsync),
        new("QueryDeviceDetail", Group, Writes: false, "A device's details: status, secret, default-module version.",
        [
            new("IotId", "The device's IotId; or ProductKey and DeviceName."),
            new("ProductKey", "With DeviceName, when IotId is absent."),
            new("DeviceName", "With ProductKey, when IotId is absent."),
        ], QueryDeviceDetailAsync),
        new("QueryDevice", Group, Writes: false, "The devices of a product, newest first, a page at a time.",
        [
            new("ProductKey", "The product.", Required: true),
            new("PageSize", "1-50; default 10."),
            new("CurrentPage", "From 1; default 1."),
        ], QueryDeviceAsync),
    ];

    private static async Task<object> CreateProductAsync(ApiCall c)
    {
        var name = c.P.Required("ProductName");
        var nodeType = c.P.OneOf("NodeType", 0, 1) ?? throw ApiException.Missing("NodeType");
        var product = await c.S.Catalog.CreateProductAsync(c.Actor, name, c.P.Optional("ProductKey"), c.P.Optional("Description"), (ProductNodeType)nodeType, c.Ct);
        return new
        {
            product.ProductKey,
            Data = new
            {
                product.ProductKey,
                ProductName = product.Name,
                NodeType = (int)product.NodeType,
                product.Description,
                AuthType = "secret",
            },
        };
    }

    private static async Task<object> RegisterDeviceAsync(ApiCall c)
    {
        var productKey = c.P.Required("ProductKey");
        var deviceName = c.P.Optional("DeviceName") ?? OtaIds.NewDeviceName();
        var device = await c.S.Catalog.RegisterDeviceAsync(c.Actor, productKey, deviceName, c.P.Optional("DeviceSecret"), c.P.Optional("Nickname"), ct: c.Ct);
        return new
        {
            Data = new { device.IotId, device.ProductKey, device.DeviceName, device.DeviceSecret, Nickname = device.Nickname ?? "" },
        };
    }

    private static async Task<object> QueryDeviceDetailAsync(ApiCall c)
    {
        var device = await Lookups.DeviceAsync(c);
        var product = await Lookups.ProductAsync(c, device.ProductKey);
        return new
        {
            Data = new
            {
                device.IotId,
                device.ProductKey,
                ProductName = product.Name,
                device.DeviceName,
                DeviceSecret = c.Actor.SeesSecrets ? device.DeviceSecret : null,
                FirmwareVersion = device.ModuleVersions.FirstOrDefault(v => v.ModuleName == OtaModule.Default)?.Version,
                GmtCreate = ApiNames.GmtPlain(device.CreatedAt),
                UtcCreate = ApiNames.Utc(device.CreatedAt),
                GmtOnline = ApiNames.GmtPlain(device.LastSeenAt),
                UtcOnline = ApiNames.Utc(device.LastSeenAt),
                Status = Status(device),
                NodeType = (int)product.NodeType,
                device.Nickname,
                Owner = true,
            },
        };
    }

    private static async Task<object> QueryDeviceAsync(ApiCall c)
    {
        var productKey = c.P.Required("ProductKey");
        var (page, size) = Lookups.Paging(c, maxPageSize: 50, required: false);
        await Lookups.ProductAsync(c, productKey);
        var result = await c.S.Devices.NewestFirstAsync(c.Actor, productKey, page - 1, size, c.Ct);
        return new
        {
            Total = result.Total,
            PageSize = size,
            PageCount = Lookups.PageCount(result.Total, size),
            Page = page,
            Data = new
            {
                DeviceInfo = result.Items.Select(d => new
                {
                    DeviceId = d.IotId,
                    d.DeviceName,
                    d.ProductKey,
                    DeviceSecret = c.Actor.SeesSecrets ? c.S.Catalog.SecretOf(d) : null,
                    DeviceStatus = Status(d),
                    GmtCreate = ApiNames.GmtCookie(d.CreatedAt),
                    GmtModified = ApiNames.GmtCookie(d.LastSeenAt ?? d.CreatedAt),
                    UtcCreate = ApiNames.Utc(d.CreatedAt),
                    UtcModified = ApiNames.Utc(d.LastSeenAt ?? d.CreatedAt),
                    d.IotId,
                    d.Nickname,
                }).ToList(),
            },
        };
    }

    /// <summary>Alibaba's device status: UNACTIVE until the device first connects.</summary>
    private static string Status(Device d) => d.IsOnline ? "ONLINE" : d.LastSeenAt is null ? "UNACTIVE" : "OFFLINE";
}
