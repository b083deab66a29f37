using Microsoft.Playwright;

namespace OtaConsole.Tests.Support;

/// <summary>
/// Times an operator's click in the page itself (no driver round trip in the figure): from the click until a
/// condition holds after a DOM change. Shared with the benchmark's click-latency scenario (linked into it).
/// </summary>
public static class ClickTiming
{
    /// <summary>A JavaScript expression for the tab whose text contains <paramref name="text"/>.</summary>
    public static string Tab(string text) => $"[...document.querySelectorAll('.mud-tab')].find(t => t.textContent.includes('{text}'))";

    /// <summary>The condition "the device table's rows are those of a view starting with <paramref name="viewPrefix"/>" (TaskTable's data-view).</summary>
    public static string RowsOf(string viewPrefix) => $"(document.querySelector('.tasks-table')?.dataset.view ?? '').startsWith('{viewPrefix}')";

    /// <summary>Milliseconds from clicking <paramref name="element"/> (a JavaScript expression) until <paramref name="condition"/> holds.</summary>
    public static Task<double> ClickUntilAsync(IPage page, string element, string condition) =>
        page.EvaluateAsync<double>($$"""
            () => new Promise((resolve, reject) => {
                const done = () => {{condition}};
                const start = performance.now();
                const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(performance.now() - start); } });
                observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
                setTimeout(() => { observer.disconnect(); reject(new Error('the click never landed')); }, 30000);
                ({{element}}).click();
            })
            """);
}
