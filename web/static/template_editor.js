// The template editor: a live preview as WhatsApp shows the message (header,
// body with the examples filled in, footer, buttons), counters against
// Meta's limits, and the server's own checks repeated as one types (the
// words come from the page, under the server's message keys). The server
// checks everything again on save. Written for Switchboard; no
// dependencies.
const form = document.getElementById("tpl-form");
const preview = document.getElementById("tpl-preview");
const messages = document.getElementById("tpl-messages");

// msg returns a message of the page's language, with %s/%d filled in order.
function msg(key, ...args) {
  const el = messages.querySelector(`[data-key="${key}"]`);
  let text = el ? el.textContent : key;
  for (const a of args) text = text.replace(/%[sd]/, String(a));
  return text;
}

const field = (name) => form.elements.namedItem(name);
const value = (name) => {
  const el = field(name);
  if (!el) return "";
  if (el.type === "checkbox") return el.checked ? "on" : "";
  return el.value;
};
const runes = (s) => Array.from(s).length;

// vars returns the distinct {{…}} names in order of first appearance, and
// whether the braces balance (template.Vars on the server).
function vars(text) {
  const out = [];
  let rest = text;
  for (;;) {
    const i = rest.indexOf("{{");
    if (i < 0) return { names: out, balanced: !rest.includes("}}") };
    if (rest.slice(0, i).includes("}}")) return { names: out, balanced: false };
    rest = rest.slice(i + 2);
    const j = rest.indexOf("}}");
    if (j < 0) return { names: out, balanced: false };
    const name = rest.slice(0, j).trim();
    if (name === "" || /[{}]/.test(name)) return { names: out, balanced: false };
    if (!out.includes(name)) out.push(name);
    rest = rest.slice(j + 2);
  }
}

// positional mirrors the server: {{1}}, {{2}}… first used in that order.
function positional(text) {
  const v = vars(text);
  if (!v.balanced) return { count: -1, problem: "admin.tpl.err.braces" };
  for (let i = 0; i < v.names.length; i++) {
    if (!/^\d+$/.test(v.names[i])) return { count: -1, problem: "admin.tpl.err.var_name" };
    if (Number(v.names[i]) !== i + 1) return { count: -1, problem: "admin.tpl.err.var_order" };
  }
  return { count: v.names.length, problem: "" };
}

// fill replaces {{n}} with its example, as the customer would read it.
function fill(text, examples) {
  return text.replace(/\{\{\s*(\d+)\s*\}\}/g, (all, n) => {
    const v = examples[Number(n) - 1];
    return v ? v : all;
  });
}

const category = () => value("category");
const headerKind = () => value("header_kind");

// Button rows: the used ones, then one empty row offered by "Add a button".
const rows = Array.from(form.querySelectorAll(".tpl-button"));
const addButton = document.getElementById("tpl-add-button");
let shownRows = 0;

function layoutRows() {
  let last = 0;
  rows.forEach((row, i) => {
    if (value("button_kind_" + (i + 1)) !== "") last = i + 1;
  });
  shownRows = Math.max(shownRows, last);
  rows.forEach((row, i) => {
    row.hidden = i >= shownRows;
    const kind = value("button_kind_" + (i + 1));
    row.querySelectorAll("[data-for]").forEach((f) => {
      f.hidden = !f.dataset.for.split(" ").includes(kind);
    });
  });
  addButton.hidden = shownRows >= rows.length;
}

function buttons() {
  const out = [];
  rows.forEach((row, i) => {
    const n = i + 1;
    const kind = value("button_kind_" + n);
    if (!kind) return;
    out.push({ n, kind, text: value("button_text_" + n).trim(), url: value("button_url_" + n).trim(), example: value("button_example_" + n).trim() });
  });
  return out;
}

// Body examples: one input per variable, keeping what was typed when a
// variable goes away and comes back.
const examplesBox = document.getElementById("tpl-examples");
const kept = {};
function syncExamples() {
  const { count } = positional(value("body"));
  const want = Math.max(count, 0);
  const have = examplesBox.querySelectorAll("[data-example]");
  have.forEach((div) => {
    const n = Number(div.dataset.example);
    const input = div.querySelector("input");
    kept[n] = input.value;
    if (n > want) div.remove();
  });
  for (let n = 1; n <= want; n++) {
    if (examplesBox.querySelector(`[data-example="${n}"]`)) continue;
    const div = document.createElement("div");
    div.className = "field";
    div.dataset.example = String(n);
    const label = document.createElement("label");
    label.htmlFor = "f-body_example_" + n;
    label.textContent = msg("admin.tpl.example_for", "{{" + n + "}}");
    const input = document.createElement("input");
    input.type = "text";
    input.id = "f-body_example_" + n;
    input.name = "body_example_" + n;
    input.value = kept[n] || "";
    div.append(label, input);
    examplesBox.append(div);
  }
}
const bodyExamples = () =>
  Array.from(examplesBox.querySelectorAll("[data-example] input")).map((i) => i.value);

// Counters against Meta's limits.
function counters() {
  form.querySelectorAll("[data-counter]").forEach((c) => {
    const input = field(c.dataset.counter);
    const max = Number(input.dataset.max);
    const n = runes(input.value);
    c.textContent = `${n}/${max}`;
    c.classList.toggle("over", n > max);
  });
}

// The media header's sample file: what each kind takes (the server judges
// the bytes again; the browser's type is enough to warn early).
const sampleInput = () => field("header_sample");
const sampleKinds = {
  IMAGE: { types: ["image/jpeg", "image/png"], key: "image" },
  VIDEO: { types: ["video/mp4"], key: "video" },
  DOCUMENT: { types: ["application/pdf"], key: "document" },
};
function sampleFile() {
  const input = sampleInput();
  return input && input.files && input.files.length > 0 ? input.files[0] : null;
}
function sampleProblem() {
  const rule = sampleKinds[headerKind()];
  const file = sampleFile();
  if (!rule || !file) return "";
  if (!rule.types.includes(file.type)) return "admin.tpl.err.sample_type_" + rule.key;
  const max = Number(sampleInput().dataset["max" + rule.key[0].toUpperCase() + rule.key.slice(1)]);
  if (file.size > max) return "admin.tpl.err.sample_big_" + rule.key;
  return "";
}

// check repeats the server's rules that can be judged as one types.
function check() {
  const problems = {}; // field → message key
  const list = [];
  const put = (f, key) => {
    if (!problems[f]) problems[f] = key;
  };
  const name = value("name");
  if (name && !/^[a-z0-9_]+$/.test(name)) put("name", "admin.tpl.err.name_chars");
  if (category() !== "AUTHENTICATION") {
    const sp = sampleProblem();
    if (sp) put("header_sample", sp);
    if (headerKind() === "TEXT") {
      const h = value("header_text");
      if (runes(h) > 60) put("header_text", "admin.tpl.err.header_long");
      const p = positional(h);
      if (p.problem) put("header_text", p.problem);
      else if (p.count > 1) put("header_text", "admin.tpl.err.header_vars");
    }
    const body = value("body");
    if (runes(body) > 1024) put("body", "admin.tpl.err.body_long");
    const p = positional(body);
    if (p.problem) put("body", p.problem);
    else if (p.count > 0 && /^\{\{|\}\}$/.test(body.trim())) put("body", "admin.tpl.err.var_edge");
    const footer = value("footer");
    if (runes(footer) > 60) put("footer", "admin.tpl.err.footer_long");
    else if (vars(footer).names.length > 0) put("footer", "admin.tpl.err.footer_vars");
    const bs = buttons();
    const count = {};
    let groups = 0;
    bs.forEach((b, i) => {
      count[b.kind] = (count[b.kind] || 0) + 1;
      if (b.kind === "QUICK_REPLY" && (i === 0 || bs[i - 1].kind !== "QUICK_REPLY")) groups++;
      if (b.kind !== "COPY_CODE" && runes(b.text) > 25) put("button_text_" + b.n, "admin.tpl.err.label_long");
      if (b.kind === "COPY_CODE" && runes(b.example) > 15) put("button_example_" + b.n, "admin.tpl.err.code_long");
      if (b.kind === "URL") {
        const v = vars(b.url);
        if (!v.balanced || v.names.length > 1 || (v.names.length === 1 && !b.url.endsWith("{{1}}"))) put("button_url_" + b.n, "admin.tpl.err.url_var");
      }
    });
    if (bs.length > 10) list.push("admin.tpl.err.buttons_many");
    if ((count.URL || 0) > 2) list.push("admin.tpl.err.url_many");
    if ((count.PHONE_NUMBER || 0) > 1) list.push("admin.tpl.err.phone_many");
    if ((count.COPY_CODE || 0) > 1) list.push("admin.tpl.err.copy_many");
    if (groups > 1) list.push("admin.tpl.err.quick_group");
  }
  // Beside each field, and every problem in the list under the form.
  form.querySelectorAll("[data-live-error]").forEach((span) => {
    const key = problems[span.dataset.liveError];
    span.hidden = !key;
    span.textContent = key ? msg(key) : "";
  });
  const ul = document.getElementById("tpl-problems");
  ul.replaceChildren();
  for (const [f, key] of Object.entries(problems)) {
    if (form.querySelector(`[data-live-error="${f}"]`)) continue;
    list.push(key);
  }
  for (const key of list) {
    const li = document.createElement("li");
    li.className = "error";
    li.dataset.key = key;
    li.textContent = msg(key);
    ul.append(li);
  }
}

// render draws the preview bubble from the form.
function render() {
  const header = preview.querySelector('[data-preview="header"]');
  const body = preview.querySelector('[data-preview="body"]');
  const footer = preview.querySelector('[data-preview="footer"]');
  const list = preview.parentElement.querySelector('[data-preview="buttons"]');
  list.replaceChildren();
  header.className = "wa-header";
  let buttonLabels = [];
  if (category() === "AUTHENTICATION") {
    header.textContent = "";
    body.textContent = msg("admin.tpl.preview_auth") + (value("security_note") ? " " + msg("admin.tpl.preview_auth_note") : "");
    const expiry = value("code_expiry").trim();
    footer.textContent = expiry ? msg("admin.tpl.preview_expiry", expiry) : "";
    buttonLabels = [{ kind: "COPY_CODE", text: value("otp_label").trim() || msg("admin.tpl.preview_copy") }];
  } else {
    const kind = headerKind();
    if (kind === "TEXT") {
      header.textContent = fill(value("header_text"), [value("header_example")]);
    } else if (kind) {
      const label = field("header_kind").selectedOptions[0].textContent;
      header.textContent = msg("admin.tpl.preview_media", label);
      header.classList.add("wa-media");
      showSample(header, kind);
    } else {
      header.textContent = "";
    }
    body.textContent = fill(value("body"), bodyExamples());
    footer.textContent = value("footer");
    buttonLabels = buttons().map((b) => ({ kind: b.kind, text: b.kind === "COPY_CODE" ? msg("admin.tpl.preview_copy") : b.text }));
  }
  // WhatsApp shows two buttons and "See all options" past three.
  const shown = buttonLabels.length > 3 ? buttonLabels.slice(0, 2) : buttonLabels;
  for (const b of shown) {
    const li = document.createElement("li");
    li.className = "wa-button wa-" + b.kind.toLowerCase().replace("_", "-");
    li.textContent = b.text;
    list.append(li);
  }
  if (buttonLabels.length > 3) {
    const li = document.createElement("li");
    li.className = "wa-button";
    li.textContent = msg("admin.tpl.preview_see_all");
    list.append(li);
  }
  header.hidden = header.textContent === "" && !header.querySelector("img");
  footer.hidden = footer.textContent === "";
}

// showSample puts the chosen sample in the preview's header: an image as
// itself (a local object URL: nothing leaves the browser before saving),
// anything else by its name.
let sampleURL = "";
let sampleOf = null;
function showSample(header, kind) {
  const file = sampleFile();
  if (!file || sampleProblem()) return;
  if (kind === "IMAGE") {
    if (sampleOf !== file) {
      if (sampleURL) URL.revokeObjectURL(sampleURL);
      sampleURL = URL.createObjectURL(file);
      sampleOf = file;
    }
    const img = document.createElement("img");
    img.src = sampleURL;
    img.alt = msg("admin.tpl.preview_sample", file.name);
    img.className = "wa-sample";
    img.dataset.testid = "preview-sample";
    header.replaceChildren(img);
    return;
  }
  const name = document.createElement("span");
  name.className = "wa-sample-name";
  name.dataset.testid = "preview-sample";
  name.textContent = msg("admin.tpl.preview_sample", file.name);
  header.append(document.createElement("br"), name);
}

function sections() {
  const auth = category() === "AUTHENTICATION";
  form.querySelector('[data-section="content"]').hidden = auth;
  form.querySelector('[data-section="auth"]').hidden = !auth;
  const kind = headerKind();
  form.querySelector('[data-header="TEXT"]').hidden = kind !== "TEXT";
  form.querySelector('[data-header="MEDIA"]').hidden = !(kind === "IMAGE" || kind === "VIDEO" || kind === "DOCUMENT");
  const rule = sampleKinds[kind];
  if (rule && sampleInput()) sampleInput().accept = rule.types.join(",");
}

function update() {
  sections();
  layoutRows();
  syncExamples();
  counters();
  check();
  render();
}

if (form && preview && messages) {
  // The use case proposes Meta's category; the administrator may change it.
  field("use_case").addEventListener("change", () => {
    const u = messages.querySelector(`[data-use-case="${value("use_case")}"]`);
    if (u) field("category").value = u.dataset.category;
    update();
  });
  addButton.addEventListener("click", () => {
    shownRows = Math.min(shownRows + 1, rows.length);
    layoutRows();
    const row = rows[shownRows - 1];
    if (row) row.querySelector("select").focus();
  });
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  shownRows = 1;
  update();
  form.dataset.ready = "1";
}
