// The composer's attachments and replies, in the open conversation.
//
// Attach: a photo, video, audio or document, by its picker, by dropping a
// file on the conversation, or by pasting an image. Each file is checked
// here against Meta's types and sizes (data-rules, rendered by the server
// from the same table it checks again on upload), so the agent learns at
// once, in words, what WhatsApp would refuse; the file then goes to
// POST /agent/conversations/{id}/media with an optional caption.
//
// Reply: a message's reply control puts a quote above the composer; the
// hidden reply_to field inside the composer form rides with console.js's
// text send and with the upload here.
//
// console.js owns the socket and the composer's text send: we only talk to
// it through DOM events (sb:sent after an upload; sb:rendered tells us a
// text send went through). Written for Switchboard; no dependencies.
const attach = document.getElementById("attach");
const composer = document.getElementById("composer");
const conversation = document.getElementById("conversation");
const messages = document.getElementById("messages");
const quote = document.getElementById("reply-quote");

// Types some systems give no MIME type for (or a vague one), by extension.
const byExtension = {
  jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp",
  mp4: "video/mp4", "3gp": "video/3gpp",
  aac: "audio/aac", amr: "audio/amr", mp3: "audio/mpeg", m4a: "audio/mp4", ogg: "audio/ogg", opus: "audio/ogg",
  txt: "text/plain", pdf: "application/pdf",
  doc: "application/msword", docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel", xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint", pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

function csrf() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

// humanBytes is agentdesk.humanBytes: 950 B, 12 KB, 5 MB, 6.2 MB.
function humanBytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1 << 20) return Math.round(n / 1024) + " KB";
  if (n % (1 << 20) === 0 || n >= 100 << 20) return Math.round(n / (1 << 20)) + " MB";
  return (n / (1 << 20)).toFixed(1) + " MB";
}

function mimeOf(file) {
  const base = (file.type || "").split(";")[0].trim().toLowerCase();
  if (base && base !== "application/octet-stream") return base;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return byExtension[ext] || base || "application/octet-stream";
}

if (attach && composer) {
  const rules = JSON.parse(attach.dataset.rules || "[]");
  const rule = (kind) => rules.find((r) => r.kind === kind);
  const tray = attach.querySelector(".attach-tray");
  const error = attach.querySelector(".attach-error");
  const caption = attach.querySelector(".attach-caption");
  const sendButton = attach.querySelector('[data-testid="attach-send"]');
  const progress = attach.querySelector("progress");
  const drop = attach.querySelector(".attach-drop");
  const replyTo = composer.querySelector('input[name="reply_to"]');
  let chosen = null; // { file, kind, mime }

  // The kind a dropped or pasted file goes as: the one whose types list its
  // MIME type, else by its family, else a document (which then says which
  // types a document may be).
  function kindFor(mime) {
    const r = rules.find((r) => r.types.includes(mime));
    if (r) return r.kind;
    const family = mime.split("/")[0];
    if (family === "image" || family === "video" || family === "audio") return family;
    return "document";
  }

  // check returns what is wrong with the file as kind, in words, or "".
  function check(file, kind, mime) {
    const r = rule(kind);
    if (!r) return attach.dataset.retry;
    const fill = (s) => s.replaceAll("{name}", file.name || r.label).replaceAll("{size}", humanBytes(file.size));
    if (!r.types.includes(mime)) return fill(r.bad_type);
    if (file.size === 0) return fill(r.empty);
    if (file.size > r.max) return fill(r.too_large);
    return "";
  }

  function clear() {
    chosen = null;
    tray.hidden = true;
    caption.value = "";
    progress.hidden = true;
    for (const input of attach.querySelectorAll('input[type="file"]')) input.value = "";
  }

  function pick(file, kind) {
    error.textContent = "";
    const mime = mimeOf(file);
    const problem = check(file, kind, mime);
    if (problem) {
      clear();
      error.textContent = problem;
      return;
    }
    chosen = { file, kind, mime };
    attach.querySelector('[data-testid="attach-name"]').textContent = file.name || rule(kind).label;
    attach.querySelector('[data-testid="attach-size"]').textContent = humanBytes(file.size);
    attach.querySelector('[data-testid="attach-as"]').textContent = rule(kind).label;
    // WhatsApp shows no caption under audio.
    caption.hidden = kind === "audio";
    tray.hidden = false;
    (caption.hidden ? sendButton : caption).focus();
  }

  function send() {
    if (!chosen || sendButton.disabled) return;
    const { file, kind, mime } = chosen;
    const form = new FormData();
    form.set("kind", kind);
    // The server reads the part's type: give it the one checked here.
    form.set("file", file.type === mime ? file : new File([file], file.name || "file", { type: mime }), file.name || "file");
    if (!caption.hidden && caption.value.trim() !== "") form.set("caption", caption.value.trim());
    if (replyTo && replyTo.value) form.set("reply_to", replyTo.value);
    form.set("idempotency_key", crypto.randomUUID());
    error.textContent = "";
    sendButton.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    // XMLHttpRequest, not fetch: it reports the upload's progress.
    const xhr = new XMLHttpRequest();
    xhr.open("POST", attach.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100); };
    xhr.onload = () => {
      sendButton.disabled = false;
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (_) { /* an error page */ }
      if (xhr.status === 200 && answer.ok) {
        clear();
        clearQuote();
        document.dispatchEvent(new CustomEvent("sb:sent"));
        return;
      }
      progress.hidden = true;
      if (xhr.status === 401) { window.location.reload(); return; }
      error.textContent = answer.error || attach.dataset.retry;
      // No longer ours: console.js's re-render learns it and says so.
      if (xhr.status === 403) document.dispatchEvent(new CustomEvent("sb:refresh", { detail: "messages" }));
    };
    xhr.onerror = () => {
      sendButton.disabled = false;
      progress.hidden = true;
      error.textContent = attach.dataset.retry;
    };
    xhr.send(form);
  }

  attach.addEventListener("change", (ev) => {
    const input = ev.target;
    if (input.type !== "file" || !input.files.length) return;
    pick(input.files[0], input.dataset.kind);
  });
  sendButton.addEventListener("click", send);
  attach.querySelector('[data-testid="attach-cancel"]').addEventListener("click", () => { clear(); error.textContent = ""; });
  // Enter in the caption sends the file, not the form's text.
  caption.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      send();
    }
  });

  const usable = () => !composer.hidden && !composer.querySelector('button[type="submit"]').disabled;
  const hasFiles = (ev) => ev.dataTransfer && [...ev.dataTransfer.types].includes("Files");

  // A file dropped anywhere else would make the browser leave the page for it.
  window.addEventListener("dragover", (ev) => { if (hasFiles(ev)) ev.preventDefault(); });
  window.addEventListener("drop", (ev) => { if (hasFiles(ev)) ev.preventDefault(); });
  let depth = 0;
  conversation.addEventListener("dragenter", (ev) => {
    if (!hasFiles(ev) || !usable()) return;
    depth++;
    conversation.classList.add("dragging");
    drop.hidden = false;
  });
  conversation.addEventListener("dragleave", (ev) => {
    if (!hasFiles(ev)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) {
      conversation.classList.remove("dragging");
      drop.hidden = true;
    }
  });
  conversation.addEventListener("dragover", (ev) => {
    if (hasFiles(ev) && usable()) {
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
    }
  });
  conversation.addEventListener("drop", (ev) => {
    depth = 0;
    conversation.classList.remove("dragging");
    drop.hidden = true;
    if (!hasFiles(ev) || !usable()) return;
    ev.preventDefault();
    const file = ev.dataTransfer.files[0];
    if (file) pick(file, kindFor(mimeOf(file)));
  });

  // A pasted image (a screenshot) is attached as a photo; pasted text is
  // left to the field it goes into.
  document.addEventListener("paste", (ev) => {
    if (!usable() || !ev.clipboardData) return;
    // Not into another form of the page (a note, a tag): only the composer's.
    if (ev.target.closest && ev.target.closest("input, textarea, select") && !composer.contains(ev.target)) return;
    const file = [...ev.clipboardData.files].find((f) => f.type.startsWith("image/"));
    if (!file) return;
    ev.preventDefault();
    pick(file, kindFor(mimeOf(file)));
  });
}

// ---- Replying to a message ----

function clearQuote() {
  if (!quote) return;
  quote.hidden = true;
  quote.querySelector("blockquote").textContent = "";
  delete quote.dataset.reply;
  const field = composer && composer.querySelector('input[name="reply_to"]');
  if (field) field.value = "";
}

function setQuote(id, text) {
  const field = composer && composer.querySelector('input[name="reply_to"]');
  if (!quote || !field) return;
  field.value = id;
  quote.dataset.reply = id;
  quote.querySelector("blockquote").textContent = text;
  quote.hidden = false;
}

if (quote && composer && messages) {
  // Delegated: the list is re-rendered by console.js.
  messages.addEventListener("click", (ev) => {
    const control = ev.target.closest("[data-reply]");
    if (!control) return;
    setQuote(control.dataset.reply, control.dataset.excerpt || "");
    const text = composer.querySelector("textarea");
    if (text && !composer.hidden) text.focus();
  });
  quote.querySelector('[data-testid="reply-cancel"]').addEventListener("click", clearQuote);

  // console.js sends the text: it read the form (reply_to included) before
  // this listener runs, so the quote can go at once; if the send fails, its
  // error shows and the quote comes back for the retry.
  let sentWith = null;
  composer.addEventListener("submit", () => {
    if (!quote.dataset.reply) return;
    sentWith = { id: quote.dataset.reply, text: quote.querySelector("blockquote").textContent };
    clearQuote();
  });
  const composerError = composer.querySelector('[data-testid="composer-error"]');
  if (composerError) {
    new MutationObserver(() => {
      if (sentWith && composerError.textContent.trim() !== "") {
        setQuote(sentWith.id, sentWith.text);
        sentWith = null;
      }
    }).observe(composerError, { childList: true, characterData: true, subtree: true });
  }
  document.addEventListener("sb:rendered", (ev) => {
    if (ev.detail === "messages") sentWith = null;
  });
  // When the window closes the composer goes (window.js): so does the
  // quote, since a template is sent without one.
  new MutationObserver(() => { if (composer.hidden) clearQuote(); })
    .observe(composer, { attributes: true, attributeFilter: ["hidden"] });
}
