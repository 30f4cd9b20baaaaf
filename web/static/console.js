// The agent console's live part. One socket per tab: it asks the server for
// a one-time ticket, opens /agent/ws, says hello with the last event number
// it saw (none on a fresh page: the page was just rendered from Postgres),
// and on each event puts the changed part of the page in place, rendered
// by the server from Postgres, so nothing is shown twice or missed. After a
// drop it reconnects (at once when the server restarts, else with growing
// pauses) and the server replays what it missed, or asks for a reload.
// Written for Switchboard; no dependencies.
//
// The console's other scripts (composer parts, contact panel, notifications)
// are separate modules that talk to this one through DOM events only:
//   document "sb:event"   detail = the event frame, after it is handled here;
//   document "sb:refresh" detail = "messages" | "inbox": ask for a re-render;
//   document "sb:sent"    after the composer sent something (re-renders);
//   document "sb:rendered" detail = the id of the box just re-rendered.
const inbox = document.getElementById("inbox-live");
const messages = document.getElementById("messages");
const conversation = document.getElementById("conversation");
const composer = document.getElementById("composer");
const status = document.getElementById("live-status");
const current = conversation ? conversation.dataset.conversation : "";

let lastSeq = null;
let pause = 500;
let socket = null;

function csrf() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

// The messages box is re-rendered from the oldest message it shows, so the
// history the agent scrolled back to stays; it follows the newest message
// only when the agent was already at the bottom.
function liveUrl(box) {
  if (box !== messages) return box.dataset.liveUrl;
  const oldest = box.querySelector("[data-message]");
  return oldest ? box.dataset.liveUrl + "?from=" + encodeURIComponent(oldest.dataset.message) : box.dataset.liveUrl;
}

function atBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

async function refresh(box) {
  if (!box) return;
  const follow = box === messages && (atBottom(box) || box.dataset.follow === "1");
  box.dataset.follow = "";
  const res = await fetch(liveUrl(box), { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } });
  if (res.status === 403 && box === messages) {
    takenAway();
    return;
  }
  if (res.redirected || res.status === 401) {
    window.location.reload();
    return;
  }
  if (!res.ok) return;
  // Our own server-rendered, escaped templates.
  box.innerHTML = await res.text();
  box.dataset.refreshedAt = String(Date.now());
  if (follow) box.scrollTop = box.scrollHeight;
  document.dispatchEvent(new CustomEvent("sb:rendered", { detail: box.id }));
}

function takenAway() {
  document.getElementById("taken-away").hidden = false;
  if (composer) composer.querySelector("button").disabled = true;
}

let pending = new Set();
let scheduled = false;
// Several events in a burst refresh each part once.
function touch(box) {
  if (!box) return;
  pending.add(box);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(async () => {
    scheduled = false;
    const boxes = [...pending];
    pending = new Set();
    for (const b of boxes) {
      try { await refresh(b); } catch (_) { /* the next event or reconnect catches up */ }
    }
  });
}

document.addEventListener("sb:refresh", (ev) => {
  if (ev.detail === "messages") touch(messages);
  if (ev.detail === "inbox") touch(inbox);
});
// What the agent sent is followed to the bottom.
document.addEventListener("sb:sent", () => {
  if (messages) messages.dataset.follow = "1";
  touch(messages);
});

function onEvent(e) {
  lastSeq = e.seq;
  document.body.dataset.lastSeq = String(e.seq);
  switch (e.kind) {
    case "message":
    case "status":
      if (e.conversation_id === current) touch(messages);
      touch(inbox);
      break;
    case "transferred_out":
    case "requeued":
    case "closed":
      if (e.conversation_id === current) takenAway();
      touch(inbox);
      break;
    case "note": // a supervisor's note: desk.js reloads the notes
      break;
    default: // assigned, transferred_in
      touch(inbox);
  }
  document.dispatchEvent(new CustomEvent("sb:event", { detail: e }));
}

async function connect() {
  let ticket;
  try {
    const res = await fetch("/agent/ws-token", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } });
    if (res.redirected || res.status === 401 || res.status === 403) {
      window.location.reload();
      return;
    }
    if (!res.ok) throw new Error("ticket " + res.status);
    ticket = await res.json();
  } catch (_) {
    retry(false);
    return;
  }
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + ticket.url;
  socket = new WebSocket(url);
  socket.onopen = () => {
    const hello = { type: "hello" };
    if (lastSeq !== null) hello.last_seq = lastSeq;
    socket.send(JSON.stringify(hello));
  };
  socket.onmessage = (m) => {
    let f;
    try { f = JSON.parse(m.data); } catch (_) { return; }
    switch (f.type) {
      case "ready":
        lastSeq = f.seq || 0;
        document.body.dataset.lastSeq = String(lastSeq);
        document.body.dataset.live = "on";
        if (status) status.hidden = true;
        pause = 500;
        break;
      case "event":
        onEvent(f);
        break;
      case "reload":
        window.location.reload();
        break;
    }
  };
  socket.onclose = (e) => {
    document.body.dataset.live = "off";
    if (status) status.hidden = false;
    retry(e.code === 1012 || e.code === 1013);
  };
}

function retry(now) {
  const wait = now ? 100 : pause;
  pause = Math.min(pause * 2, 15000);
  window.setTimeout(connect, wait);
}

if (composer) {
  composer.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = composer.querySelector('[data-testid="composer-error"]');
    const text = composer.querySelector("textarea");
    const body = new URLSearchParams(new FormData(composer));
    body.set("idempotency_key", crypto.randomUUID());
    error.textContent = "";
    const button = composer.querySelector("button");
    button.disabled = true;
    try {
      const res = await fetch(composer.action, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf(), Accept: "application/json" }, body });
      const answer = await res.json().catch(() => ({}));
      if (res.ok && !res.redirected) {
        text.value = "";
        messages.dataset.follow = "1";
        touch(messages);
      } else {
        // A session that ended answers 401 (or sends the page to sign in):
        // say so and keep the text, rather than a bare status.
        const expired = res.status === 401 || res.redirected;
        error.textContent = expired ? composer.dataset.expired : answer.error || String(res.status);
        if (res.status === 403) takenAway();
      }
    } catch (_) {
      error.textContent = composer.dataset.retry || "Not sent: try again in a moment.";
    } finally {
      if (!document.getElementById("taken-away") || document.getElementById("taken-away").hidden) button.disabled = false;
    }
  });
  composer.querySelector("textarea").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) composer.requestSubmit();
  });
}

if (messages) messages.scrollTop = messages.scrollHeight;
// The conversation page's list of conversations is filled after load.
if (inbox && !inbox.firstElementChild) touch(inbox);
connect();
