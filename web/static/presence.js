// Keeps the agent present while this page is open: a heartbeat every third
// of the presence TTL refreshes it in Redis, sending the state the page
// shows so that a presence lapsed meanwhile (Redis restarted, the laptop
// slept) is restored. Closing the page stops the beats, and the router sees
// the agent offline once the TTL runs out (and re-routes its conversations
// after the tenant's grace period). When the agent signed off elsewhere,
// the page says so. Pages without the switch (an open conversation) beat
// too, with the state the agent last chose on the home page (kept in
// localStorage), at the pace the server answers. Written for Switchboard;
// no dependencies.
const box = document.getElementById("presence");
if (box && box.dataset.state) localStorage.setItem("sb.presence", box.dataset.state);

function shown() {
  return box ? box.dataset.state || "" : localStorage.getItem("sb.presence") || "";
}

let every = box ? Math.max(1000, Number(box.dataset.beatMs) || 10000) : 10000;

function csrf() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

async function beat() {
  try {
    const res = await fetch("/agent/heartbeat", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
      body: new URLSearchParams({ state: shown() }),
      cache: "no-store",
    });
    if (res.redirected || res.status === 401 || res.status === 403) {
      window.location.reload(); // signed out: the page says so
      return;
    }
    if (!res.ok) return;
    const body = await res.json();
    if (body.beat_ms > 0) every = Math.max(1000, body.beat_ms);
    showMini(body.state);
    document.body.dataset.beatAt = String(Date.now());
    if (!box) return;
    box.dataset.beatAt = String(Date.now());
    if (body.state === "offline" && box.dataset.state && box.dataset.state !== "offline") {
      box.querySelector('[data-testid="presence-note"]').textContent = box.dataset.lapsed;
    }
  } catch (_) {
    // Network trouble: the next beat tries again.
  }
}

// The small switch beside a conversation (the home page has the big one).
const mini = box ? null : document.getElementById("console-presence");

function showMini(state) {
  if (!mini || !state) return;
  mini.hidden = false;
  mini.dataset.state = state;
  const key = "label" + state.charAt(0).toUpperCase() + state.slice(1);
  mini.querySelector("strong").textContent = mini.dataset[key] || state;
  for (const b of mini.querySelectorAll("[data-set-state]")) b.disabled = b.dataset.setState === state;
}

if (mini) {
  mini.addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-set-state]");
    if (!b) return;
    try {
      const res = await fetch("/agent/availability", {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
        body: new URLSearchParams({ state: b.dataset.setState }),
      });
      if (!res.ok) return;
      const body = await res.json();
      localStorage.setItem("sb.presence", body.state);
      showMini(body.state);
    } catch (_) { /* the next beat shows the state */ }
  });
}

async function loop() {
  await beat();
  window.setTimeout(loop, every);
}
loop();
