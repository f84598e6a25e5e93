// The live channel shared by every page: events in seq order, catch-up on reconnect, gap detection.
//
// connectLive(train, { seq, onEvent, onGap, onState }) opens
// /api/v1/trains/{train}/live?after=SEQ. Events are handed to onEvent in seq
// order. If an event or heartbeat shows a seq we have not seen in order, what
// was missed is read from the log (GET …/events?after=SEQ) and applied first,
// with whatever arrives meanwhile held back until it is its turn; only when the
// log cannot fill the gap (too much missed, or the read failed) is onGap called
// (the page should reload its data) and the count continues from there. On a
// dropped connection it reconnects with the last seq it applied, backing off up
// to 10 s (each page a random part of it), and the server sends what was missed
// from the log.

const CATCH_UP_LIMIT = 500;  // events read from the log to fill a gap; a longer gap reloads the page's data

export function connectLive(train, { seq = 0, onEvent, onGap, onState = () => {} }) {
  let last = seq;
  let socket = null;
  let retry = 0;
  let closed = false;
  let filling = false;  // reading the log to fill a gap
  let held = [];  // events that came while filling, applied after it

  function deliver(data) {
    if (data.seq <= last) return;  // never apply twice
    if (filling || data.seq !== last + 1) { held.push(data); fill(data.seq - 1); return; }
    last = data.seq;
    onEvent(data);
  }

  async function fill(upto) {
    if (filling || upto <= last) return;
    filling = true;
    try {
      const path = `/api/v1/trains/${encodeURIComponent(train)}/events?after=${last}&limit=${CATCH_UP_LIMIT}`;
      const { ok, data } = await api(path);
      for (const event of ok ? data.events : []) {
        if (event.seq === last + 1) { last = event.seq; onEvent({ type: "event", ...event }); }
      }
    } catch (error) {
      // the log could not be read: the page reloads below
    }
    filling = false;
    if (last < upto) { last = upto; onGap(last); }
    const waiting = held.sort((a, b) => a.seq - b.seq);
    held = [];
    waiting.forEach(deliver);
  }

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
        if (data.seq > last) fill(data.seq);
        return;
      }
      if (data.type === "event") deliver(data);
      else if (data.type === "progress") document.dispatchEvent(new CustomEvent("artsync:progress", { detail: data }));
    });
    socket.addEventListener("close", () => {
      if (closed) return;
      onState("offline — reconnecting");
      retry += 1;
      // Each page waits its own share of the back-off: when a server restarts, a room of a thousand pages would
      // otherwise come back in the same instant, every handshake waiting on its caller's lookup at once.
      const backOff = Math.min(10000, 250 * 2 ** Math.min(retry, 6));
      setTimeout(open, backOff / 2 + Math.random() * backOff / 2);
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
