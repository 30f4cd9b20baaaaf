// The contact panel beside a conversation. The server renders it from
// Postgres (GET data-live-url); this module puts it in place when the page
// opens, again when console.js reports an event of this conversation (a
// customer's STOP changes consent; a close or transfer ends the agent's
// hold), and after each of the panel's forms is posted: the answer is the
// panel re-rendered, with the error beside its input when a value was
// refused (422). Talks to console.js only through its DOM events.
// Written for Switchboard; no dependencies.
const panel = document.getElementById("contact-panel");
const conversation = document.getElementById("conversation");
const current = conversation ? conversation.dataset.conversation : "";

function csrf() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

function put(html) {
  // Our own server-rendered, escaped template.
  panel.innerHTML = html;
  panel.dataset.refreshedAt = String(Date.now());
  document.dispatchEvent(new CustomEvent("sb:rendered", { detail: panel.id }));
}

// notYours keeps what the panel shows but closes its forms: the
// conversation is no longer the agent's to change.
function notYours() {
  for (const el of panel.querySelectorAll("button, input, select, textarea")) el.disabled = true;
  say(panel.dataset.notYours, "flash-error");
  panel.dataset.state = "not-yours";
}

function say(text, kind) {
  let p = panel.querySelector("[data-testid=contact-message]");
  if (!p) {
    p = document.createElement("p");
    p.dataset.testid = "contact-message";
    p.setAttribute("role", "alert");
    panel.prepend(p);
  }
  p.className = "flash " + kind;
  p.textContent = text;
}

// answer handles the server's reply to a GET or a POST.
async function answer(res) {
  if (res.redirected || res.status === 401) {
    window.location.reload();
    return;
  }
  if (res.status === 403) {
    notYours();
    return;
  }
  if (res.ok || res.status === 422) {
    put(await res.text());
    return;
  }
  say(panel.dataset.failed, "flash-error");
}

let loading = false;
let again = false;
// Several events in a burst load the panel once more, not once each.
async function load() {
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  try {
    await answer(await fetch(panel.dataset.liveUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } }));
  } catch (_) {
    say(panel.dataset.failed, "flash-error");
  } finally {
    loading = false;
    if (again) {
      again = false;
      load();
    }
  }
}

if (panel) {
  panel.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    ev.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    for (const el of form.querySelectorAll("button")) el.disabled = true;
    try {
      const res = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf(), "X-Contact-Panel": "1", Accept: "text/html" },
        body,
      });
      await answer(res);
    } catch (_) {
      for (const el of form.querySelectorAll("button")) el.disabled = false;
      say(panel.dataset.failed, "flash-error");
    }
  });

  document.addEventListener("sb:event", (ev) => {
    const e = ev.detail || {};
    if (e.conversation_id === current) load();
  });

  load();
}
