using MudBlazor.Services;
using OtaConsole;
using OtaConsole.Components;
using OtaConsole.Core;

var builder = WebApplication.CreateBuilder(args);
RootSettings.Add(builder.Configuration, builder.Environment);

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.Services.AddOtaCore();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAntiforgery();

app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();

/// <summary>The web host, for WebApplicationFactory in tests.</summary>
public partial class Program;
