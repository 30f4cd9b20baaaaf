// The softbots' pages: character counters against WhatsApp's limits on
// every input that carries data-max; in the menu bot editor, the next-step
// choices kept in line with the steps' ids as they are renamed, and the
// test panel, which runs the real engine on the server (POST …/test) and
// draws its answers as a chat. The server validates everything again; this
// only helps while typing. Written for Switchboard; no dependencies.

// Limits by step kind: the text, and an option's title (WhatsApp's).
const limits = {
  buttons: { text: 1024, title: 20 },
  list: { text: 1024, title: 24 },
  answer: { text: 4096, title: 20 },
  collect: { text: 4096, title: 20 },
  handoff: { text: 4096, title: 20 },
};

function counterFor(el) {
  let c = el.nextElementSibling;
  if (!c || !c.classList.contains("counter")) {
    c = document.createElement("small");
    c.className = "counter";
    c.setAttribute("aria-live", "polite");
    el.after(c);
  }
  return c;
}

function count(el) {
  const max = Number(el.dataset.max || 0);
  if (!max) return;
  const n = Array.from(el.value).length; // characters, not UTF-16 units
  const c = counterFor(el);
  c.textContent = n + " / " + max;
  c.classList.toggle("over", n > max);
  el.classList.toggle("over", n > max);
}

for (const form of document.querySelectorAll("form.bot-counted")) {
  for (const el of form.querySelectorAll("[data-max]")) count(el);
  form.addEventListener("input", (e) => {
    if (e.target.dataset && e.target.dataset.max) count(e.target);
  });
}

// --- The menu bot editor ---------------------------------------------------

const editor = document.getElementById("bot-form");

function nextSelects() {
  return editor.querySelectorAll("select.next-step, select[name=start]");
}

// renameStep changes a step's id in every choice that names it, so the
// options keep leading where they led.
function renameStep(prev, id) {
  for (const sel of nextSelects()) {
    let opt = Array.from(sel.options).find((o) => o.value === prev && prev !== "");
    if (opt && id) {
      opt.value = id;
      opt.textContent = id;
    } else if (!opt && id && !Array.from(sel.options).some((o) => o.value === id)) {
      opt = document.createElement("option");
      opt.value = id;
      opt.textContent = id;
      sel.append(opt);
    }
  }
}

function kindChanged(card) {
  const kind = card.querySelector("select.step-kind").value;
  const l = limits[kind] || limits.answer;
  const text = card.querySelector("textarea.step-text");
  text.dataset.max = String(l.text);
  count(text);
  for (const t of card.querySelectorAll("input.option-title")) {
    t.dataset.max = String(l.title);
    count(t);
  }
}

if (editor) {
  editor.addEventListener("change", (e) => {
    const t = e.target;
    if (t.classList.contains("step-id")) {
      const id = t.value.trim();
      renameStep(t.dataset.prev || "", id);
      t.dataset.prev = id;
      const card = t.closest(".bot-step");
      if (card) card.dataset.step = id;
    } else if (t.classList.contains("step-kind")) {
      kindChanged(t.closest(".bot-step"));
    }
  });
}

// --- The test panel --------------------------------------------------------

const panel = document.getElementById("bot-test");

function csrf() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

if (panel && editor) {
  const chat = panel.querySelector("[data-testid=test-chat]");
  const end = panel.querySelector("[data-testid=test-end]");
  const problems = panel.querySelector("[data-testid=test-problems]");
  const collected = panel.querySelector("[data-testid=test-collected]");
  const input = panel.querySelector("[data-testid=test-input]");
  const text = panel.querySelector("[data-testid=test-text]");
  const source = panel.querySelector("#test-source");
  const lang = panel.querySelector("#test-lang");
  let run = null;
  let busy = false;

  const bubble = (who, body) => {
    const b = document.createElement("div");
    b.className = "bot-bubble bot-" + who;
    b.dataset.testid = who === "out" ? "test-customer" : "test-bot";
    const p = document.createElement("p");
    p.textContent = body;
    b.append(p);
    chat.append(b);
    chat.scrollTop = chat.scrollHeight;
    return b;
  };

  const choices = (b, list, kind) => {
    const ul = document.createElement("ul");
    ul.className = "bot-choices bot-" + kind;
    for (const c of list) {
      const li = document.createElement("li");
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "small";
      btn.dataset.testid = "test-choice";
      btn.dataset.choice = c.id;
      btn.textContent = c.title;
      btn.addEventListener("click", () => send({ choice: c.id, text: c.title }, c.title));
      li.append(btn);
      if (c.description) {
        const d = document.createElement("small");
        d.className = "hint";
        d.textContent = c.description;
        li.append(d);
      }
      ul.append(li);
    }
    b.append(ul);
  };

  const show = (res) => {
    problems.replaceChildren();
    problems.hidden = !(res.problems && res.problems.length);
    for (const p of res.problems || []) {
      const li = document.createElement("li");
      li.dataset.testid = "problem";
      li.textContent = (p.step ? p.step + (p.option ? " #" + p.option : "") + ": " : "") + p.message;
      problems.append(li);
    }
    if (!res.outcome || (res.problems && res.problems.length)) {
      input.hidden = true;
      return;
    }
    const out = res.outcome;
    for (const m of out.messages || []) {
      const b = bubble("in", m.text);
      if (m.buttons) choices(b, m.buttons, "buttons");
      if (m.rows) {
        const h = document.createElement("p");
        h.className = "bot-list-button";
        h.textContent = "☰ " + (m.list_button || panel.dataset.openList);
        b.append(h);
        choices(b, m.rows, "rows");
      }
    }
    for (const [k, v] of Object.entries(out.collected || {})) {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dd.dataset.testid = "collected-" + k;
      collected.append(dt, dd);
      collected.hidden = false;
    }
    run = out.run;
    if (out.end) {
      end.textContent = res.summary || panel.dataset.ended;
      end.dataset.end = out.end;
      end.hidden = false;
      input.hidden = true;
      run = null;
    } else {
      input.hidden = false;
      text.focus();
    }
  };

  const call = async (body) => {
    if (busy) return;
    busy = true;
    panel.dataset.busy = "1";
    body.lang = lang.value;
    if (source.value === "live") body.source = "live";
    else body.form = new URLSearchParams(new FormData(editor)).toString();
    try {
      const res = await fetch(panel.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify(body),
      });
      if (res.redirected || res.status === 401) {
        window.location.reload();
        return;
      }
      const type = res.headers.get("Content-Type") || "";
      if (!type.startsWith("application/json")) throw new Error(String(res.status));
      show(await res.json());
    } catch (_) {
      show({ problems: [{ message: panel.dataset.failed }] });
    } finally {
      busy = false;
      delete panel.dataset.busy;
    }
  };

  const send = (inp, shown) => {
    if (!run) return;
    bubble("out", shown);
    call({ run, input: inp });
  };

  panel.querySelector("#test-start").addEventListener("click", () => {
    chat.replaceChildren();
    collected.replaceChildren();
    collected.hidden = true;
    end.hidden = true;
    delete end.dataset.end;
    run = null;
    call({ start: true });
  });
  input.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = text.value;
    if (!v.trim()) return;
    text.value = "";
    send({ text: v }, v);
  });
  panel.querySelector("[data-testid=test-photo]").addEventListener("click", () => send({ other: true }, panel.dataset.photo));
}
