namespace OtaConsole.Bench;

/// <summary>
/// CPU seconds used so far, read from Linux's /proc: to tell which process a slower run spent its time in
/// (the console, the device fleet, or the browser that holds the pages, all on the same cores).
/// </summary>
internal static class CpuTime
{
    // USER_HZ: the unit of /proc/[pid]/stat's utime and stime, 100 on every Linux this runs on.
    private const double TicksPerSecond = 100;

    public static double Of(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0; // the process ended
        }
    }

    public static double Self() => Of(Environment.ProcessId);

    /// <summary>Every Chromium process (browser, renderers, GPU and utility processes) together.</summary>
    public static double Browser()
    {
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() is "chromium" or "chrome")
                    total += Of(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return total;
    }
}
