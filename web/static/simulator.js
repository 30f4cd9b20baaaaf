// The customer simulator's thread follows the conversation live: it asks
// the server for the thread, which answers when something changes (or after
// 25 s), and replaces the list. Written for Switchboard; no dependencies.
const box = document.getElementById("thread");

async function follow() {
  const url = box.dataset.threadUrl + "&wait=1";
  let delay = 500;
  for (;;) {
    try {
      const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (res.status === 401 || res.status === 403 || res.status === 404) return;
      if (res.ok) {
        const html = await res.text();
        // The server renders the fragment from our own templates (escaped),
        // so it is safe to place as markup.
        box.innerHTML = html;
        box.scrollTop = box.scrollHeight;
        delay = 500;
        continue;
      }
    } catch (_) {
      // Network trouble or a restart: wait and try again.
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

if (box) {
  box.scrollTop = box.scrollHeight;
  follow();
}
