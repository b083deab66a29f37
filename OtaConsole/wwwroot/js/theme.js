// The operator's theme choice, kept in this browser: "dark", "light", or nothing (follow the system).
window.otaTheme = {
    get: () => { try { return localStorage.getItem("ota-theme"); } catch { return null; } },
    set: (value) => { try { localStorage.setItem("ota-theme", value); } catch { /* private mode: the choice lasts the page */ } },
};

// The browser's time zone (an IANA name such as "Europe/Berlin"): the console shows every time in it.
window.otaTime = {
    zone: () => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch { return null; } },
};
