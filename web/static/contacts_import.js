// The contacts import: a file larger than the server takes is refused here,
// before minutes of uploading, with the server's own words; and while an
// import's job runs, its page is fetched again every second and its card
// swapped in place, until the job has ended. Without this script the
// server says the same after the upload, and a reload shows the progress.

const upload = document.querySelector("[data-import-upload]");
if (upload) {
  const input = upload.querySelector("input[type=file]");
  const error = upload.querySelector("[data-testid=import-file-error]");
  const max = Number(upload.dataset.maxBytes);
  const check = () => {
    const file = input.files && input.files[0];
    const tooLarge = Boolean(file && file.size > max);
    error.textContent = tooLarge ? upload.dataset.tooLarge : "";
    error.hidden = !tooLarge;
    input.setAttribute("aria-invalid", String(tooLarge));
    return !tooLarge;
  };
  input.addEventListener("change", check);
  upload.addEventListener("submit", (event) => {
    if (!check()) event.preventDefault();
  });
}

const every = 1000;

async function follow() {
  const card = document.querySelector("[data-import]");
  if (!card || card.dataset.status !== "running") return;
  try {
    const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (res.ok) {
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const next = doc.querySelector("[data-import]");
      if (next && next.dataset.status !== "running") {
        location.reload(); // the result, with a working upload form again
        return;
      }
      if (next) card.replaceWith(document.adoptNode(next));
    }
  } catch {
    // The network is down or the server restarting: try again shortly.
  }
  setTimeout(follow, every);
}

setTimeout(follow, every);
