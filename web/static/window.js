// Meta's 24-hour window in the agent's conversation page. It ticks the
// countdown (#window, rendered by the server with the expiry and the
// server's clock), and when the window is closed — at load, or when the
// countdown reaches zero with the page open — it hides the free-text
// composer and puts in place the picker of approved templates, rendered by
// the server from Postgres (GET …/window). When the customer writes again
// (an sb:event "message" for this conversation) the same fragment is asked
// for again: the server says the window is open, and the composer comes
// back. Choosing a template shows its parameters and a preview filled in as
// the agent types; sending posts to …/template with the CSRF token.
// Talks to console.js only through DOM events (see its header comment).
// Written for Switchboard; no dependencies.
const conversation = document.getElementById("conversation");
const composer = document.getElementById("composer");
const current = conversation ? conversation.dataset.conversation : "";

// offset is the server's clock minus the browser's, so a wrong clock in
// the browser does not move the countdown.
let offset = 0;
let loading = false;
let again = false;

function bar() { return document.getElementById("window"); }
function box() { return document.getElementById("template-box"); }

function csrf() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

function anchor() {
  const b = bar();
  if (!b) return;
  const now = Date.parse(b.dataset.now);
  offset = Number.isNaN(now) ? 0 : now - Date.now();
}

function hhmm(ms) {
  // Rounded up, so 0:00 is never shown while the window is still open.
  const mins = Math.ceil(ms / 60000);
  return Math.floor(mins / 60) + ":" + String(mins % 60).padStart(2, "0");
}

function tick() {
  const b = bar();
  if (!b || b.dataset.state !== "open") return;
  const expires = Date.parse(b.dataset.expires || "");
  const left = Number.isNaN(expires) ? 0 : expires - (Date.now() + offset);
  const text = b.querySelector('[data-testid="window-text"]');
  if (left > 0) {
    text.textContent = b.dataset.leftText.replace("{left}", hhmm(left));
    b.classList.toggle("window-warning", left < 3600000);
    return;
  }
  // The window has just closed: say so at once, then let the server (the
  // truth) render the picker.
  b.dataset.state = "closed";
  b.classList.add("window-warning");
  text.textContent = b.dataset.closedText;
  if (composer) composer.hidden = true;
  load();
}

// load puts the server's countdown and template box in place.
async function load() {
  const tb = box();
  if (!tb) return;
  if (loading) { again = true; return; }
  loading = true;
  try {
    const res = await fetch(tb.dataset.liveUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } });
    // 403: no longer this agent's; console.js says so from its own refresh.
    if (!res.ok || res.redirected) return;
    // Our own server-rendered, escaped templates.
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const newBar = doc.getElementById("window");
    const newBox = doc.getElementById("template-box");
    if (!newBar || !newBox) return;
    const keep = chosen();
    bar().replaceWith(newBar);
    box().replaceWith(newBox);
    anchor();
    if (composer) composer.hidden = newBox.dataset.state !== "open";
    if (keep) choose(keep.template, keep.values);
    tick();
    document.dispatchEvent(new CustomEvent("sb:rendered", { detail: "template-box" }));
  } catch (_) {
    // The next event, or the next zero, asks again.
  } finally {
    loading = false;
    if (again) { again = false; load(); }
  }
}

// chosen is the template being filled in, so a re-render keeps the
// agent's work.
function chosen() {
  const select = document.getElementById("template-choice");
  if (!select || !select.value) return null;
  const values = {};
  const fs = fieldset(select.value);
  if (fs) for (const input of fs.querySelectorAll("input")) values[input.name] = input.value;
  return { template: select.value, values };
}

function fieldset(key) {
  return [...document.querySelectorAll("#template-picker fieldset[data-template]")].find((f) => f.dataset.template === key) || null;
}

function choose(key, values) {
  const select = document.getElementById("template-choice");
  if (!select) return;
  select.value = key;
  for (const f of document.querySelectorAll("#template-picker fieldset[data-template]")) {
    const on = f.dataset.template === key;
    f.hidden = !on;
    f.disabled = !on;
    if (on && values) for (const input of f.querySelectorAll("input")) if (input.name in values) input.value = values[input.name];
    if (on) preview(f);
  }
}

// preview fills the template's text as WhatsApp will show it; a variable
// not filled yet stays as {{n}}.
function preview(f) {
  for (const el of f.querySelectorAll("[data-fill]")) {
    el.textContent = el.dataset.text.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (whole, name) => {
      const input = [...f.querySelectorAll("input[data-kind]")].find((i) => i.dataset.kind === el.dataset.fill && i.dataset.var === name);
      return input && input.value.trim() !== "" ? input.value : whole;
    });
  }
}

document.addEventListener("change", (ev) => {
  if (ev.target && ev.target.id === "template-choice") choose(ev.target.value, null);
});

document.addEventListener("input", (ev) => {
  const f = ev.target && ev.target.closest && ev.target.closest("#template-picker fieldset[data-template]");
  if (f) preview(f);
});

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (!form || form.id !== "template-picker") return;
  ev.preventDefault();
  const error = form.querySelector('[data-testid="template-error"]');
  const button = form.querySelector('button[type="submit"]');
  const body = new URLSearchParams(new FormData(form));
  body.set("idempotency_key", crypto.randomUUID());
  error.textContent = "";
  button.disabled = true;
  try {
    const res = await fetch(form.action, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf(), Accept: "application/json" }, body });
    const answer = await res.json().catch(() => ({}));
    if (res.ok && !res.redirected) {
      form.reset();
      choose("", null);
      document.dispatchEvent(new CustomEvent("sb:sent"));
    } else {
      const composer = document.getElementById("composer");
      const expired = (res.status === 401 || res.redirected) && composer;
      error.textContent = expired ? composer.dataset.expired : answer.error || String(res.status);
    }
  } catch (_) {
    error.textContent = form.dataset.retry || "Not sent: try again in a moment.";
  } finally {
    const away = document.getElementById("taken-away");
    if (!away || away.hidden) button.disabled = false;
  }
});

document.addEventListener("sb:event", (ev) => {
  // A customer's message moves the window (it reopens for 24 hours).
  if (ev.detail && ev.detail.kind === "message" && ev.detail.conversation_id === current) load();
  // No longer this agent's: console.js disables its composer, this one the
  // picker's button (the server would refuse anyway).
  if (ev.detail && ["transferred_out", "requeued", "closed"].includes(ev.detail.kind) && ev.detail.conversation_id === current) {
    const send = document.querySelector('[data-testid="template-send"]');
    if (send) send.disabled = true;
  }
});

if (bar() && box()) {
  anchor();
  if (bar().dataset.state !== "open") load();
  tick();
  window.setInterval(tick, 1000);
}
