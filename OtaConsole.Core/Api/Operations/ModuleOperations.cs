namespace OtaConsole.Core.Api.Operations;

/// <summary>OTA modules: CreateOTAModule, UpdateOTAModule, DeleteOTAModule, ListOTAModuleByProduct.</summary>
internal static class ModuleOperations
{
    private const string Group = "OTA modules";

    private static readonly ApiParam ProductKey = new("ProductKey", "The module's product.", Required: true);
    private static readonly ApiParam ModuleName = new("ModuleName", "1-64 characters of A-Z a-z 0-9 . _ - ; unique in the product.", Required: true);
    private static readonly ApiParam AliasName = new("AliasName", "1-64 characters.");
    private static readonly ApiParam Desc = new("Desc", "At most 100 characters.");

    public static IEnumerable<ApiOperation> All =>
    [
        new("CreateOTAModule", Group, Writes: true, "Creates a module of a product.", [ProductKey, ModuleName, AliasName, Desc],
            async c =>
            {
                await c.S.Catalog.CreateModuleAsync(c.Actor, c.P.Required("ProductKey"), c.P.Required("ModuleName"), c.P.Optional("AliasName"), c.P.Optional("Desc"), c.Ct);
                return OtaApi.Done;
            }),
        new("UpdateOTAModule", Group, Writes: true, "Changes a module's alias and description (its name never changes).", [ProductKey, ModuleName, AliasName, Desc],
            async c =>
            {
                await c.S.Catalog.UpdateModuleAsync(c.Actor, c.P.Required("ProductKey"), c.P.Required("ModuleName"), c.P.Optional("AliasName"), c.P.Optional("Desc"), c.Ct);
                return OtaApi.Done;
            }),
        new("DeleteOTAModule", Group, Writes: true, "Deletes a module no package uses; default cannot be deleted.", [ProductKey, ModuleName],
            async c =>
            {
                await c.S.Catalog.DeleteModuleAsync(c.Actor, c.P.Required("ProductKey"), c.P.Required("ModuleName"), c.Ct);
                return OtaApi.Done;
            }),
        new("ListOTAModuleByProduct", Group, Writes: false, "The modules of a product.", [ProductKey],
            async c =>
            {
                var productKey = c.P.Required("ProductKey");
                await Lookups.ProductAsync(c, productKey);
                var modules = await c.S.Catalog.ListModulesAsync(c.Actor, productKey, c.Ct);
                return new
                {
                    Data = modules.Select(m => new
                    {
                        m.AliasName,
                        Desc = m.Description,
                        GmtCreate = ApiNames.GmtCookie(m.CreatedAt),
                        GmtModified = ApiNames.GmtCookie(m.ModifiedAt),
                        m.ModuleName,
                        m.ProductKey,
                    }).ToList(),
                };
            }),
    ];
}
