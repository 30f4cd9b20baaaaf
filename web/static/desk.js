// The agent's tools in a conversation: the actions bar (close with an
// outcome, transfer with a note), private notes, and canned replies inserted
// by typing "/" in the composer. The server renders the actions and the
// notes from Postgres; this module fetches them, posts the forms (answers
// are JSON: {ok, message} or {error}) and shows the answer in words.
// It talks to console.js only through DOM events (see its header comment).
// Written for Switchboard; no dependencies.
const actions = document.getElementById("desk-actions");
const status = document.getElementById("desk-status");
const notes = document.getElementById("notes-live");
const conversation = document.getElementById("conversation");
const composer = document.getElementById("composer");
const current = conversation ? conversation.dataset.conversation : "";

// closedByMe: this page closed the conversation itself, so the "closed"
// event that follows is no news (console.js would call it taken away).
let closedByMe = false;

function csrf() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

function say(text, isError) {
  if (!status) return;
  status.textContent = text;
  status.className = "desk-status flash " + (isError ? "flash-error" : "flash-success");
  status.hidden = !text;
}

async function load(box) {
  if (!box) return;
  try {
    const res = await fetch(box.dataset.liveUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } });
    if (!res.ok) return; // not ours any more: console.js says so
    // Our own server-rendered, escaped templates.
    box.innerHTML = await res.text();
    box.dataset.loadedAt = String(Date.now());
    document.dispatchEvent(new CustomEvent("sb:rendered", { detail: box.id }));
  } catch (_) { /* shown again on the next change */ }
}

async function post(form) {
  const res = await fetch(form.action, {
    method: "POST", credentials: "same-origin",
    headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
    body: new URLSearchParams(new FormData(form)),
  });
  const answer = await res.json().catch(() => ({}));
  return { ok: res.ok, answer };
}

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.desk) return;
  ev.preventDefault();
  const button = form.querySelector("button[type=submit]");
  const retry = actions ? actions.dataset.retry : "";
  const noteError = form.dataset.desk === "note" ? form.querySelector('[data-testid="note-error"]') : null;
  if (noteError) noteError.textContent = "";
  if (button) button.disabled = true;
  let done = false;
  try {
    if (form.dataset.desk === "close") closedByMe = true;
    const { ok, answer } = await post(form);
    done = ok;
    if (!ok) {
      closedByMe = false;
      if (noteError) noteError.textContent = answer.error || retry;
      else say(answer.error || retry, true);
      return;
    }
    switch (form.dataset.desk) {
      case "note":
        form.reset();
        load(notes);
        break;
      case "transfer":
        // The note was kept as a private note; the conversation is now
        // someone else's (console.js shows it taken away on the event).
        say(answer.message, false);
        load(notes);
        break;
      case "close":
        say(answer.message, false);
        break;
    }
    const tool = form.closest("details");
    if (tool) tool.open = false;
  } catch (_) {
    closedByMe = false;
    if (noteError) noteError.textContent = retry;
    else say(retry, true);
  } finally {
    // After a close or a transfer the page's actions are spent.
    if (button && !(done && form.dataset.desk !== "note")) button.disabled = false;
  }
});

document.addEventListener("sb:event", (ev) => {
  const e = ev.detail || {};
  if (e.conversation_id !== current) return;
  if (e.kind === "note") load(notes); // someone else's note on this conversation
  if (e.kind === "closed" && closedByMe) {
    const away = document.getElementById("taken-away");
    if (away) away.hidden = true;
  }
  if (e.kind === "closed" || e.kind === "transferred_out" || e.kind === "requeued") {
    // Nothing more to do here: the actions and the note form are spent.
    document.querySelectorAll("form[data-desk] :is(button, select, textarea)").forEach((el) => { el.disabled = true; });
  }
});

// Canned replies: "/" at the start of a word in the composer opens the list,
// filtered by what follows it; ↑ ↓ choose, Enter or Tab inserts, Esc closes.
// The list is <li>s, not buttons: console.js takes the composer's first
// button for its send button.
const textarea = composer ? composer.querySelector("textarea") : null;
let canned = [];
let popup = null;
let matches = [];
let active = 0;

async function loadCanned() {
  if (!actions || !actions.dataset.cannedUrl) return;
  try {
    const res = await fetch(actions.dataset.cannedUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
    if (res.ok) canned = await res.json();
  } catch (_) { /* the composer works without them */ }
  if (composer) composer.dataset.cannedLoaded = String(canned.length);
}

// The "/word" just before the caret, or null.
function slashWord() {
  const before = textarea.value.slice(0, textarea.selectionStart);
  const m = /(^|\s)\/([a-z0-9_-]*)$/i.exec(before);
  if (!m) return null;
  return { start: before.length - m[2].length - 1, query: m[2].toLowerCase() };
}

function closePopup() {
  if (popup) popup.hidden = true;
  matches = [];
  textarea.removeAttribute("aria-activedescendant");
  textarea.setAttribute("aria-expanded", "false");
}

function render() {
  if (!popup) {
    popup = document.createElement("ul");
    popup.id = "canned-popup";
    popup.className = "canned-popup";
    popup.setAttribute("role", "listbox");
    popup.dataset.testid = "canned-popup";
    popup.setAttribute("aria-label", actions.dataset.cannedLabel || "");
    textarea.insertAdjacentElement("afterend", popup);
    textarea.setAttribute("aria-controls", popup.id);
    popup.addEventListener("mousedown", (ev) => {
      const li = ev.target.closest("li[data-index]");
      if (!li) return;
      ev.preventDefault(); // keep the focus in the textarea
      insert(Number(li.dataset.index));
    });
  }
  popup.replaceChildren();
  if (matches.length === 0) {
    const li = document.createElement("li");
    li.className = "canned-empty";
    li.textContent = actions.dataset.cannedEmpty || "";
    popup.append(li);
  }
  matches.forEach((c, i) => {
    const li = document.createElement("li");
    li.id = "canned-option-" + i;
    li.dataset.index = String(i);
    li.dataset.testid = "canned-option";
    li.dataset.shortcut = c.shortcut;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === active));
    const name = document.createElement("strong");
    name.textContent = "/" + c.shortcut;
    const text = document.createElement("span");
    text.textContent = c.text.length > 80 ? c.text.slice(0, 80) + "…" : c.text;
    li.append(name, " ", text);
    popup.append(li);
  });
  popup.hidden = false;
  textarea.setAttribute("aria-expanded", "true");
  if (matches.length) textarea.setAttribute("aria-activedescendant", "canned-option-" + active);
}

function update() {
  const w = slashWord();
  if (!w || canned.length === 0) {
    closePopup();
    return;
  }
  // Shortcuts that start with what was typed first, then those containing it.
  const starts = canned.filter((c) => c.shortcut.startsWith(w.query));
  const contains = canned.filter((c) => !c.shortcut.startsWith(w.query) && c.shortcut.includes(w.query));
  matches = starts.concat(contains);
  active = 0;
  render();
}

function insert(i) {
  const c = matches[i];
  const w = slashWord();
  if (!c || !w) return;
  const end = textarea.selectionStart;
  textarea.value = textarea.value.slice(0, w.start) + c.text + textarea.value.slice(end);
  const caret = w.start + c.text.length;
  textarea.setSelectionRange(caret, caret);
  closePopup();
  textarea.focus();
}

if (textarea && actions) {
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-expanded", "false");
  textarea.addEventListener("input", update);
  textarea.addEventListener("click", update);
  textarea.addEventListener("blur", () => window.setTimeout(closePopup, 150));
  textarea.addEventListener("keydown", (ev) => {
    if (!popup || popup.hidden) return;
    switch (ev.key) {
      case "ArrowDown":
      case "ArrowUp":
        if (!matches.length) return;
        ev.preventDefault();
        active = (active + (ev.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
        render();
        break;
      case "Enter":
      case "Tab":
        if (!matches.length || ev.ctrlKey || ev.metaKey) return;
        ev.preventDefault();
        ev.stopImmediatePropagation();
        insert(active);
        break;
      case "Escape":
        // Only the list closes: the agent keeps typing (keys.js would
        // otherwise take the focus away on Escape).
        ev.preventDefault();
        ev.stopPropagation();
        closePopup();
        break;
    }
  });
  loadCanned();
}

load(actions);
load(notes);
