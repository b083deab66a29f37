using Microsoft.Extensions.Configuration.Json;

namespace OtaConsole;

/// <summary>
/// The operator's one configuration file is appsettings.json at the repository root (copied beside the
/// binaries at build). It is read in the place ASP.NET Core reads its own appsettings.json, so environment
/// variables (Ota__DataDirectory=…) and command-line flags (--Ota:DataDirectory=…) still override it.
/// </summary>
public static class RootSettings
{
    public static void Add(ConfigurationManager configuration, IWebHostEnvironment env)
    {
        var file = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (!File.Exists(file) || Path.GetFullPath(file) == Path.GetFullPath(Path.Combine(env.ContentRootPath, "appsettings.json")))
            return;
        var sources = ((IConfigurationBuilder)configuration).Sources;
        var lastJson = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource)
                lastJson = i;
        }
        var source = new JsonConfigurationSource { Path = file, Optional = true, ReloadOnChange = false };
        source.ResolveFileProvider();
        if (lastJson >= 0)
            sources.Insert(lastJson, source); // before appsettings.{Environment}.json, as the default file would be
        else
            sources.Insert(0, source);
    }
}
