// Server-rendered pages (cockpit, backlog, findings, history, PI planning, ROAM,
// ART sync, ...): follow the live channel and, when the train changes, fetch
// this page's main content again and morph the page into it (idiomorph): what
// someone is typing or has chosen, their focus and caret, and the details they
// opened stay as they are, while the others' change still appears.
//
// A form with data-api="METHOD /api/v1/..." is sent to the API as JSON: each
// named field becomes a key (type=number → a number, a checkbox → true/false,
// data-list → a list split on commas, an empty field is left out). With
// data-fresh="/api/v1/..." the item is read first and its ETag sent as If-Match;
// data-wrap="scores" sends the fields as {"scores": {...}}; data-show="#id" shows the answer's
// data-show-field (default "url") there instead of refreshing.
// The page refreshes from the live channel; data-then="navigate" follows the
// answer's "id" to data-then-url instead.
import { Idiomorph } from "../vendor/idiomorph/idiomorph.esm.js";
import { api, connectLive, setLiveState, toast } from "./live.js";

const train = document.querySelector('meta[name="train"]')?.content;
let refreshing = null;

async function refresh() {
  const response = await fetch(location.href, { headers: { "X-Partial": "main" }, credentials: "same-origin" });
  if (!response.ok) return;
  catchUp(Number(response.headers.get("X-Behind") || 0));
  const html = await response.text();
  Idiomorph.morph(document.getElementById("main"), html, {
    morphStyle: "innerHTML",  // not ignoreActiveValue: it would freeze the focused element's children too
    callbacks: {
      beforeNodeMorphed: (old) => !edited(old),
      beforeAttributeUpdated: (name, node) => !(name === "open" && node instanceof HTMLDetailsElement),
    },
  });
  enhance();
}

// Shown with findings of an earlier change (the server finds them at most every few seconds while the train
// changes): read the page again when they are due, so it is never left behind once the room is quiet.
let catchingUp = null;
function catchUp(ms) {
  clearTimeout(catchingUp);
  catchingUp = ms > 0 ? setTimeout(scheduleRefresh, ms + 50) : null;
}

// A field whose value someone changed and has not sent yet.
function edited(node) {
  if (node instanceof HTMLInputElement) {
    if (node.type === "checkbox" || node.type === "radio") return node.checked !== node.defaultChecked;
    return node.value !== node.defaultValue;
  }
  if (node instanceof HTMLTextAreaElement) return node.value !== node.defaultValue;
  if (node instanceof HTMLSelectElement) return [...node.options].some((o) => o.selected !== o.defaultSelected);
  return false;
}

// Once sent, a form's values are the page's: the next refresh may change them.
function settle(fields) {
  for (const field of fields) {
    if (field instanceof HTMLInputElement && (field.type === "checkbox" || field.type === "radio")) field.defaultChecked = field.checked;
    else if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) field.defaultValue = field.value;
    else if (field instanceof HTMLSelectElement) for (const option of field.options) option.defaultSelected = option.selected;
  }
}

// One refresh for a burst of events: 150 ms after the last one, but never more than a second after the first one
// not shown yet — in a room editing without pause no gap reaches 150 ms, and the page would wait for the lull.
let waitingSince = null;
function scheduleRefresh() {
  clearTimeout(refreshing);
  const now = performance.now();
  waitingSince ??= now;
  refreshing = setTimeout(() => {
    waitingSince = null;
    refresh();
  }, Math.max(0, Math.min(150, waitingSince + 1000 - now)));
}

// A field named a[b][c] fills body.a.b.c: one form can send a value per team.
function put(body, name, value) {
  const path = name.match(/^[^[]+|\[[^\]]*\]/g).map((part) => part.replace(/^\[|\]$/g, ""));
  let at = body;
  for (const key of path.slice(0, -1)) at = at[key] ??= {};
  at[path[path.length - 1]] = value;
}

function formBody(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    if (field.type === "checkbox") { put(body, field.name, field.checked); continue; }
    if (field.type === "radio" && !field.checked) continue;
    const raw = field.value.trim();
    if (raw === "") continue;
    if (field.dataset.list !== undefined) put(body, field.name, raw.split(",").map((x) => x.trim()).filter(Boolean));
    else if (field.type === "number" || field.dataset.number !== undefined) put(body, field.name, Number(raw));
    else put(body, field.name, raw);
  }
  return body;
}

async function sendForm(form, submitter) {
  const [method, path] = form.dataset.api.split(" ");
  let body = formBody(form);
  if (form.dataset.wrap) body = { [form.dataset.wrap]: body };
  if (submitter?.name) body[submitter.name] = submitter.dataset.number !== undefined ? Number(submitter.value) : submitter.value;
  const headers = {};
  if (form.dataset.fresh) headers["If-Match"] = (await api(form.dataset.fresh)).etag;
  const result = await api(path, { method, body: method === "GET" || method === "DELETE" ? undefined : body, headers });
  if (!result.ok) {
    toast(result.data.detail || `Not saved (${result.status}).`);
    return;
  }
  if (form.dataset.show) {  // an answer shown once (a new feed URL): no refresh, which would lose it
    const out = document.querySelector(form.dataset.show);
    out.textContent = result.data[form.dataset.showField || "url"];
    out.hidden = false;
    return;
  }
  if (form.dataset.then === "navigate") location.href = form.dataset.thenUrl.replace("{id}", result.data.id ?? result.data.key);
  else if (form.dataset.then === "reset") form.reset();
  else settle(form.elements);
  scheduleRefresh();
}

document.addEventListener("click", (event) => {
  if (!event.target.closest("[data-print]")) return;
  event.preventDefault();
  window.print();
});

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-api]");
  if (!form) return;
  event.preventDefault();
  sendForm(form, event.submitter);
});

const enhanced = new WeakMap();  // a morph keeps the elements: each enhancement is applied to one once

function enhance() {
  for (const table of document.querySelectorAll("table.sortable")) once(table, sortable);
  for (const table of document.querySelectorAll('table.backlog[data-editable="yes"]')) once(table, editableBacklog);
}

function once(element, enhancement) {
  const done = enhanced.get(element) ?? new Set();
  if (done.has(enhancement)) return;
  enhanced.set(element, done.add(enhancement));
  enhancement(element);
}

function sortable(table) {
  table.querySelectorAll("th[data-sort]").forEach((th, column) => {
    th.tabIndex = 0;
    th.setAttribute("aria-sort", "none");
    const sort = () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach((other) => other.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const rows = [...table.tBodies[0].rows];
      const value = (row) => {
        const cell = row.cells[column];
        const raw = cell.querySelector("input, select")?.value ?? cell.textContent.trim();
        return th.dataset.sort === "number" ? parseFloat(raw) : raw.toLowerCase();
      };
      rows.sort((a, b) => (value(a) > value(b) ? 1 : value(a) < value(b) ? -1 : 0) * (ascending ? 1 : -1));
      table.tBodies[0].append(...rows);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
}

function editableBacklog(table) {
  const scale = table.dataset.scale.split(",").map(Number);
  table.addEventListener("change", async (event) => {
    const field = event.target.closest("[data-field]");
    if (!field) return;
    const value = Number(field.value);
    if (!scale.includes(value)) {
      toast(`A score is one of ${scale.join(", ")}.`);
      field.value = field.defaultValue;
      return;
    }
    const key = field.closest("tr").dataset.key;
    const path = `/api/v1/trains/${encodeURIComponent(train)}/features/${encodeURIComponent(key)}`;
    const current = await api(path);
    const result = await api(path, {
      method: "PATCH",
      body: { [field.dataset.field]: value },
      headers: { "If-Match": current.etag },
    });
    if (!result.ok) toast(result.data.detail || "The change was not saved.");
    else settle([field]);
  });
}

enhance();
catchUp(Number(document.querySelector('meta[name="behind"]')?.content || 0));
if (train) {
  const seq = Number(document.querySelector('meta[name="seq"]')?.content || 0);
  connectLive(train, { seq, onEvent: scheduleRefresh, onGap: scheduleRefresh, onState: setLiveState });
}

// A scenario being solved: its best plan so far and the gap, as the solver finds them (not in the log).
document.addEventListener("artsync:progress", ({ detail }) => {
  for (const shown of document.querySelectorAll(`[data-progress="${CSS.escape(detail.scenario)}"]`)) {
    const best = detail.value === null ? "no plan yet" : `best so far ${Math.round(detail.value).toLocaleString()}`;
    const gap = detail.gap === null ? "" : `, within ${(100 * detail.gap).toFixed(1)}% of the best possible`;
    shown.textContent = `Solving… ${best}${gap}`;
  }
});
