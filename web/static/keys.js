// The agent console's keyboard: move between conversations, reply, close,
// and a help overlay listing it all (the "?" key). Single keys act only
// when the agent is not typing; Alt+arrows work everywhere.
// Written for Switchboard; no dependencies.
const help = document.getElementById("keys-help");
const opener = document.getElementById("keys-help-open");

function typing(el) {
  if (!el) return false;
  const tag = el.tagName;
  return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
    (tag === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type));
}

// go moves to the next (+1) or previous (-1) conversation of the inbox.
function go(step) {
  const links = [...document.querySelectorAll("#inbox-live [data-testid=inbox-open]")];
  if (links.length === 0) return;
  const here = links.findIndex((a) => a.closest(".inbox-current"));
  let next = here === -1 ? (step > 0 ? 0 : links.length - 1) : here + step;
  next = Math.max(0, Math.min(links.length - 1, next));
  if (next !== here) window.location.assign(links[next].href);
}

function showHelp() {
  if (help && !help.open) help.showModal();
}

if (opener) opener.addEventListener("click", showHelp);

document.addEventListener("keydown", (ev) => {
  if (ev.altKey && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
    ev.preventDefault();
    go(ev.key === "ArrowDown" ? 1 : -1);
    return;
  }
  if (ev.key === "Escape") {
    if (typing(document.activeElement)) document.activeElement.blur();
    return; // an open dialog closes itself on Escape
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target) || (help && help.open)) return;
  switch (ev.key) {
    case "j":
      go(1);
      break;
    case "k":
      go(-1);
      break;
    case "r": {
      const box = document.querySelector("#composer textarea:not([hidden]), #composer input[type=text]");
      if (box) {
        ev.preventDefault();
        box.focus();
      }
      break;
    }
    case "x": {
      const close = document.querySelector("[data-key=close]");
      if (close) close.click();
      break;
    }
    case "h":
      window.location.assign("/agent/");
      break;
    case "?":
      showHelp();
      break;
    default:
      return;
  }
});
