// The live channel shared by every page: events in seq order, catch-up on reconnect, gap detection.
//
// connectLive(train, { seq, onEvent, onGap, onState }) opens
// /api/v1/trains/{train}/live?after=SEQ. Events are handed to onEvent in seq
// order. If an event or heartbeat shows a seq we have not seen in order, onGap
// is called (the page should reload its data) and the count continues from
// there. On a dropped connection it reconnects with the last seq it applied,
// backing off up to 10 s, and the server sends what was missed from the log.

export function connectLive(train, { seq = 0, onEvent, onGap, onState = () => {} }) {
  let last = seq;
  let socket = null;
  let retry = 0;
  let closed = false;

  function url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/api/v1/trains/${encodeURIComponent(train)}/live?after=${last}`;
  }

  function open() {
    onState(retry ? "reconnecting…" : "connecting…");
    socket = new WebSocket(url());
    socket.addEventListener("open", () => { retry = 0; onState("live"); });
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "heartbeat") {
        if (data.seq > last) { last = data.seq; onGap(last); }
        return;
      }
      if (data.type !== "event" || data.seq <= last) return;  // never apply twice
      if (data.seq !== last + 1) { last = data.seq; onGap(last); return; }
      last = data.seq;
      onEvent(data);
    });
    socket.addEventListener("close", () => {
      if (closed) return;
      onState("offline — reconnecting");
      retry += 1;
      setTimeout(open, Math.min(10000, 250 * 2 ** Math.min(retry, 6)));
    });
  }

  open();
  return {
    get seq() { return last; },
    set seq(value) { last = Math.max(last, value); },
    close() { closed = true; socket && socket.close(); },
  };
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      "Accept": "application/json",
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...(method !== "GET" ? { "X-CSRF-Token": csrfToken() } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data, etag: response.headers.get("ETag") };
}

export function toast(text, actions = []) {
  const box = document.getElementById("toast");
  if (!box) return;
  box.replaceChildren();
  const p = document.createElement("p");
  p.textContent = text;
  box.append(p);
  for (const { label, run } of actions) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", () => { box.hidden = true; run(); });
    box.append(button);
  }
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.textContent = "Dismiss";
  dismiss.addEventListener("click", () => { box.hidden = true; });
  box.append(dismiss);
  box.hidden = false;
}

export function setLiveState(text) {
  const el = document.getElementById("live-state");
  if (el) { el.textContent = text; el.dataset.state = text === "live" ? "live" : "off"; }
}
