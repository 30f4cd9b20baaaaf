// The agent console's inbox around the conversation: the tab title counts
// unread messages; a sound and a desktop notification (the agent may turn
// them off) tell of a new conversation or a customer's message; the
// 24-hour windows count down; what the agent looks at is marked read
// (WhatsApp shows the customer blue ticks); older history loads as the
// agent scrolls back. Talks to console.js through DOM events only.
// Written for Switchboard; no dependencies.
const inboxBox = document.getElementById("inbox-live");
const messages = document.getElementById("messages");
const conversation = document.getElementById("conversation");
const toggle = document.getElementById("notify-toggle");
const words = document.getElementById("notify-text");
const baseTitle = document.title;
const current = conversation ? conversation.dataset.conversation : "";

// ---- Unread count in the title, and what is new since the last render.
let lastUnread = null;

function unreadNow() {
  const box = inboxBox && inboxBox.querySelector("[data-testid=inbox]");
  return box ? Number(box.dataset.unread || 0) : null;
}

function onInbox() {
  const n = unreadNow();
  if (n === null) return;
  document.title = n > 0 ? "(" + n + ") " + baseTitle : baseTitle;
  if (lastUnread !== null && n > lastUnread) tell("message");
  lastUnread = n;
  countdown();
}

// ---- Notifications and sound.
function enabled() {
  return localStorage.getItem("sb.notify") !== "off";
}

if (toggle) {
  toggle.checked = enabled();
  toggle.addEventListener("change", async () => {
    localStorage.setItem("sb.notify", toggle.checked ? "on" : "off");
    if (toggle.checked && "Notification" in window && Notification.permission === "default") {
      const answer = await Notification.requestPermission();
      if (answer === "denied") toggle.title = toggle.dataset.denied || "";
    }
    if (toggle.checked) beep(); // lets the agent hear it, and unlocks audio
  });
}

let audio = null;
function beep() {
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
  } catch (_) { /* no audio here: the title still counts */ }
}

// tell notifies of "assigned" or "message"; body.dataset.notices lists
// them (what the page told the agent, whatever the browser allowed). A
// conversation assigned with its first message makes one sound, not two.
let lastSound = 0;
function tell(what) {
  const d = document.body.dataset;
  d.notices = d.notices ? d.notices + "," + what : what;
  if (!enabled()) return;
  if (Date.now() - lastSound > 1500) beep();
  lastSound = Date.now();
  const text = words ? words.dataset[what] : what;
  if ((document.hidden || !document.hasFocus()) && "Notification" in window && Notification.permission === "granted") {
    const n = new Notification(text, { tag: "switchboard-" + what });
    n.onclick = () => { window.focus(); n.close(); };
  }
}

document.addEventListener("sb:event", (ev) => {
  const e = ev.detail;
  if (e.kind === "assigned" || e.kind === "transferred_in") tell("assigned");
  if (e.kind === "message" && e.conversation_id === current) markReadSoon();
});

// ---- The windows' countdown between re-renders.
function countdown() {
  if (!inboxBox) return;
  const now = Date.now();
  for (const el of inboxBox.querySelectorAll("[data-expires]")) {
    const left = Date.parse(el.dataset.expires) - now;
    if (left <= 0) {
      el.textContent = el.dataset.closedLabel;
      el.classList.add("inbox-window-closed");
      el.removeAttribute("data-expires");
      continue;
    }
    // As the conversation's own countdown (window.js): hours:minutes,
    // rounded up, so "0:00" never shows while the window is open.
    const m = Math.ceil(left / 60000);
    el.textContent = (el.dataset.label || "%s").replace("%s", Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0"));
    el.classList.toggle("inbox-window-short", left < 3600000);
  }
}
window.setInterval(countdown, 30000);
// Queue counts change without an event for this agent: re-read them now
// and then while the page is visible.
window.setInterval(() => {
  if (!document.hidden) document.dispatchEvent(new CustomEvent("sb:refresh", { detail: "inbox" }));
}, 15000);

// ---- Mark read what the agent is looking at.
let readTimer = 0;
function markReadSoon() {
  if (!current) return;
  window.clearTimeout(readTimer);
  readTimer = window.setTimeout(markRead, 300);
}

async function markRead() {
  if (document.hidden) return; // read when the tab is shown again
  const field = document.querySelector('input[name="csrf_token"]');
  try {
    const res = await fetch("/agent/conversations/" + current + "/read", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": field ? field.value : "" },
    });
    if (res.ok) document.dispatchEvent(new CustomEvent("sb:refresh", { detail: "inbox" }));
  } catch (_) { /* next time */ }
}

window.addEventListener("focus", markReadSoon);
document.addEventListener("visibilitychange", markReadSoon);

// ---- Older history as the agent scrolls back.
let loadingOlder = false;
if (messages) {
  messages.dataset.hasOlder = String(messages.querySelectorAll("[data-message]").length >= 50);
  messages.addEventListener("scroll", () => {
    if (messages.scrollTop < 80) older();
  });
}

async function older() {
  if (loadingOlder || messages.dataset.hasOlder !== "true") return;
  const oldest = messages.querySelector("[data-message]");
  const list = messages.querySelector("ol");
  if (!oldest || !list) return;
  loadingOlder = true;
  try {
    const res = await fetch(messages.dataset.liveUrl + "?before=" + encodeURIComponent(oldest.dataset.message),
      { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } });
    if (!res.ok) return;
    messages.dataset.hasOlder = res.headers.get("X-Has-Older") === "true" ? "true" : "false";
    // Our own server-rendered, escaped template.
    const t = document.createElement("template");
    t.innerHTML = await res.text();
    const items = t.content.querySelectorAll("ol > li");
    const height = messages.scrollHeight;
    list.prepend(...items);
    messages.scrollTop += messages.scrollHeight - height; // keep what the agent was reading in place
    document.dispatchEvent(new CustomEvent("sb:rendered", { detail: "messages-older" }));
  } finally {
    loadingOlder = false;
  }
}

document.addEventListener("sb:rendered", (ev) => {
  if (ev.detail === "inbox-live") onInbox();
  if (ev.detail === "messages") markReadSoon();
});

onInbox();
markReadSoon();
