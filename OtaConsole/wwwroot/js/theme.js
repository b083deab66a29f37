// The operator's theme choice, kept in this browser: "dark", "light", or nothing (follow the system).
window.otaTheme = {
    get: () => { try { return localStorage.getItem("ota-theme"); } catch { return null; } },
    set: (value) => { try { localStorage.setItem("ota-theme", value); } catch { /* private mode: the choice lasts the page */ } },
};
