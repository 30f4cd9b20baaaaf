// The operator's health page refreshes its figures every 10 seconds, only
// while the tab is visible (a hidden tab costs the database nothing), by
// fetching the page again and swapping the figures in place: no reload, no
// lost scroll position.
const root = document.querySelector("[data-health]");
const every = 10000;

async function refresh() {
  if (document.visibilityState !== "visible") return;
  try {
    const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const next = doc.querySelector("[data-health]");
    if (next) root.replaceChildren(...next.childNodes);
  } catch {
    // The network is down or the server restarting: try again next time.
  }
}

if (root) {
  setInterval(refresh, every);
  // Back to a tab after a while: show fresh figures at once.
  document.addEventListener("visibilitychange", refresh);
}
