using OtaConsole;

ConsoleApp.Build(args).Run();

/// <summary>The web host's entry point, for WebApplicationFactory in tests.</summary>
public partial class Program;
