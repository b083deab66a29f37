using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Packages;

namespace OtaConsole.Core.Api;

public static class OtaApiServices
{
    /// <summary>The Alibaba-compatible API: access keys from "Ota:Api", the signature check, the operations and the upload store.</summary>
    public static IServiceCollection AddOtaApi(this IServiceCollection services)
    {
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section);
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<IApiNonces>(sp =>
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<OtaOptions>>().Value.Database.Provider == DatabaseProvider.Postgres
                ? ActivatorUtilities.CreateInstance<DatabaseApiNonces>(sp)
                : new MemoryApiNonces());
        services.AddSingleton<ApiAccess>();
        services.AddSingleton<UploadStore>();
        services.AddSingleton<ApiServices>();
        services.AddSingleton<OtaApi>();
        return services;
    }
}
