// The routing live view refreshes itself: every two seconds, while the tab
// is visible, it fetches the live part of the page (the same server-rendered
// component) and puts it in place. A hidden tab asks nothing; it catches up
// at once when it is shown again. Written for Switchboard; no dependencies.
const box = document.getElementById("routing-live");
const every = 2000;
let timer = 0;
let busy = false;
let stopped = false;

async function refresh() {
  timer = 0;
  if (stopped || busy || document.hidden) return;
  busy = true;
  try {
    const res = await fetch(box.dataset.liveUrl, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      cache: "no-store",
    });
    if (res.redirected || res.status === 401 || res.status === 403 || res.status === 404) {
      // Signed out or no longer an administrator: the page itself says so.
      stopped = true;
      window.location.reload();
      return;
    }
    if (res.ok) {
      // The server renders the fragment from our own templates (escaped),
      // so it is safe to place as markup.
      box.innerHTML = await res.text();
      box.dataset.refreshedAt = String(Date.now());
    }
  } catch (_) {
    // Network trouble or a restart: the next tick tries again.
  } finally {
    busy = false;
  }
  schedule();
}

function schedule() {
  if (!stopped && !timer && !document.hidden) timer = window.setTimeout(refresh, every);
}

if (box) {
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      window.clearTimeout(timer);
      timer = 0;
    } else if (!timer) {
      refresh();
    }
  });
  schedule();
}
