using MudBlazor;

namespace OtaConsole.Components.Ota;

/// <summary>Bar charts with round ticks (1, 2 or 5 times a power of ten) and titled axes.</summary>
public static class ChartAxes
{
    /// <summary>A round tick spacing that gives at most five ticks above zero for <paramref name="max"/>.</summary>
    public static double Step(double max)
    {
        if (max <= 5)
            return 1;
        var raw = max / 5;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(s => s >= raw);
        return step;
    }

    public static BarChartOptions Bar(double max, string xTitle, string yTitle)
    {
        var step = Step(max);
        return new BarChartOptions
        {
            YAxisTicks = (int)step, YAxisSuggestedMax = Math.Ceiling(max / step) * step, YAxisFormat = "N0",
            XAxisTitle = xTitle, YAxisTitle = yTitle, ShowValues = true, ShowLegend = false,
        };
    }

    public static StackedBarChartOptions StackedBar(double max, string xTitle, string yTitle)
    {
        var step = Step(max);
        return new StackedBarChartOptions
        {
            YAxisTicks = (int)step, YAxisSuggestedMax = Math.Ceiling(max / step) * step, YAxisFormat = "N0",
            XAxisTitle = xTitle, YAxisTitle = yTitle, ChartPalette = ["#00c853", "#f44336"],
        };
    }
}
