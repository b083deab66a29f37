using OtaConsole.Core.Model;

namespace OtaConsole.Core.Api.Operations;

/// <summary>Finding what a request names, the same way in every operation.</summary>
internal static class Lookups
{
    /// <summary>A device named by IotId, or by ProductKey and DeviceName (IotId wins when both are given, as at Alibaba).</summary>
    public static async Task<Device> DeviceAsync(ApiCall c)
    {
        if (c.P.Optional("IotId") is { } iotId)
            return await c.S.Catalog.FindDeviceByIotIdAsync(c.Actor, iotId, c.Ct) ?? throw OtaException.NotFound("Device", iotId);
        if (!c.P.Has("ProductKey") && !c.P.Has("DeviceName"))
            throw ApiException.Missing("IotId");
        var (productKey, deviceName) = (c.P.Required("ProductKey"), c.P.Required("DeviceName"));
        return await c.S.Catalog.FindDeviceAsync(c.Actor, productKey, deviceName, c.Ct) ?? throw OtaException.NotFound("Device", $"{productKey}/{deviceName}");
    }

    public static async Task<UpdatePackage> FirmwareAsync(ApiCall c)
    {
        var id = c.P.Required("FirmwareId");
        return await c.S.PackageQueries.FindAsync(c.Actor, id, c.Ct) ?? throw OtaException.NotFound("Firmware", id);
    }

    /// <summary>The package, checked to belong to the ProductKey the request gives.</summary>
    public static async Task<UpdatePackage> FirmwareOfProductAsync(ApiCall c)
    {
        var productKey = c.P.Required("ProductKey");
        var package = await FirmwareAsync(c);
        if (package.ProductKey != productKey)
            throw ApiException.Invalid("ProductKey", $"firmware {package.Id} belongs to product {package.ProductKey}, not {productKey}.");
        return package;
    }

    public static async Task<Batch> JobAsync(ApiCall c)
    {
        var id = c.P.Required("JobId");
        return await c.S.Batches.FindAsync(c.Actor, id, c.Ct) ?? throw OtaException.NotFound("Job", id);
    }

    public static async Task<Product> ProductAsync(ApiCall c, string productKey) =>
        await c.S.Catalog.FindProductAsync(c.Actor, productKey, c.Ct) ?? throw OtaException.NotFound("Product", productKey);

    /// <summary>CurrentPage (from 1) and PageSize (1 to <paramref name="maxPageSize"/>), as the list operations take them.</summary>
    public static (int Page, int Size) Paging(ApiCall c, int maxPageSize, bool required = true)
    {
        var page = required ? c.P.RequiredInt("CurrentPage", 1, int.MaxValue) : c.P.Int("CurrentPage", 1, int.MaxValue) ?? 1;
        var size = required ? c.P.RequiredInt("PageSize", 1, maxPageSize) : c.P.Int("PageSize", 1, maxPageSize) ?? 10;
        return (page, size);
    }

    public static int PageCount(int total, int size) => (total + size - 1) / size;

    /// <summary>A page in Alibaba's envelope: CurrentPage, PageSize, PageCount, Total, and the items under Data.</summary>
    public static object Paged(int page, int size, int total, object data) =>
        new { CurrentPage = page, PageSize = size, PageCount = PageCount(total, size), Total = total, Data = data };
}
