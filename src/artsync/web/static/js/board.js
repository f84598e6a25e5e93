// The ART planning board: teams × iterations, cards, load against capacity,
// dependencies drawn as strings; drag or use the keyboard to move a card; live.
import { api, connectLive, setLiveState, toast } from "./live.js";

const boardEl = document.getElementById("board");
const svg = document.getElementById("strings");
const details = document.getElementById("details");
const announcer = document.getElementById("announce");
const train = boardEl.dataset.train;
const movable = new Set(boardEl.dataset.movable.split(",").filter(Boolean));  // the teams whose cards this person moves
const SVG = "http://www.w3.org/2000/svg";
let board = null;
let live = null;
let selected = null;
const openUnplanned = new Set();  // the teams whose unplanned pile is open: closed, a row is as tall as its plan
const allStrings = document.getElementById("all-strings");  // off: only the strings in trouble are drawn
allStrings?.addEventListener("change", () => drawStrings());
// What the room chooses to see: one team, only the cards in trouble, one line a card.
const teamFilter = document.getElementById("board-team");
const onlyProblems = document.getElementById("only-problems");
const compact = document.getElementById("compact");
for (const control of [teamFilter, onlyProblems, compact]) control?.addEventListener("change", () => render());
const TROUBLE = new Set(["broken", "at-risk", "unplanned-provider"]);
let troubles = new Map();  // card ref → what is wrong with it, for its badge and "only problems"

// The domain's rules come with the board (board.rules): a provider must finish in an earlier iteration
// (the table says what each order means), a team's load is near above rules.near_capacity of its capacity,
// and a dependency moves only along rules.dependency_moves.
function order(consumer, provider) {
  if (consumer == null) return "consumer-unplanned";
  if (provider == null) return "provider-unplanned";
  return provider < consumer ? "earlier" : provider === consumer ? "same" : "later";
}

// A dependency its providing team declared broken is broken wherever its cards sit; a delivered one is done.
function dependencyStatus(consumer, provider, state) {
  if (state === "broken") return "broken";
  if (state === "delivered") return "ok";
  return board.rules.dependency_status[order(consumer, provider)];
}

async function load() {
  const result = await api(`/api/v1/trains/${encodeURIComponent(train)}/board`);
  if (!result.ok) { toast(result.data.detail || "Could not load the board."); return; }
  board = result.data;
  if (live) live.seq = board.seq;
  render();
}

function cardsByRef() { return new Map(board.cards.map((c) => [c.ref, c])); }

// Points planned per team and iteration, keyed "TEAM|ITERATION".
function cellLoads() {
  const load = new Map();
  for (const c of board.cards) if (c.iteration != null) load.set(`${c.team}|${c.iteration}`, (load.get(`${c.team}|${c.iteration}`) || 0) + c.points);
  return load;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function render() {
  const focused = document.activeElement?.id;
  const iterations = board.iterations;
  boardEl.style.gridTemplateColumns = `8rem repeat(${iterations.length + 1}, minmax(8rem, 1fr))`;
  // A table to assistive technology: rows (display: contents, so the CSS grid still lays the cells out)
  // of column headers, the milestones, and one per team with its row header and cells.
  const load = cellLoads();
  troubles = cardTroubles(load);
  boardEl.classList.toggle("compact", Boolean(compact?.checked));
  const rows = [];
  let cells = null;
  const row = () => { cells = []; rows.push(cells); };
  row();
  cells.push(el("div", { class: "corner", role: "columnheader", text: "Team" }));
  for (const it of iterations) {
    cells.push(el("div", { class: `colhead${it.is_ip ? " ip" : ""}`, role: "columnheader" },
      el("b", { text: it.label }), el("span", { text: ` ${it.start.slice(5)} – ${it.end.slice(5)}` })));
  }
  cells.push(el("div", { class: "colhead", role: "columnheader", text: "Unplanned" }));
  // Milestones and significant events on top.
  row();
  cells.push(el("div", { class: "rowhead milestones", role: "rowheader", text: "Milestones" }));
  for (const it of iterations) {
    const cell = el("div", { class: "milestone-cell", role: "cell" });
    for (const m of board.milestones.filter((m) => m.iteration === it.index)) {
      cell.append(el("span", { class: "milestone", id: `milestone-${m.key}`, title: `${m.name}${m.date ? " · " + m.date : ""} · needs ${m.features.join(", ")}`, text: `◆ ${m.key} ${m.name}` }));
    }
    cells.push(cell);
  }
  cells.push(el("div", { class: "milestone-cell", role: "cell" }));

  for (const team of board.teams.filter((t) => !teamFilter?.value || t.key === teamFilter.value)) {
    row();
    cells.push(el("div", { class: "rowhead", role: "rowheader" }, el("b", { text: team.key }), el("span", { class: "muted", title: "velocity: the points the team finishes in an iteration", text: ` velocity ${team.velocity}` })));
    for (const it of [...iterations, { index: null }]) {
      const cell = el("div", { class: "cell", role: "cell", "data-team": team.key, "data-iteration": it.index ?? "" });
      if (it.index != null) {
        const capacity = team.cells.find((c) => c.iteration === it.index).capacity;
        const used = load.get(`${team.key}|${it.index}`) || 0;
        const state = used > capacity ? "over" : used > board.rules.near_capacity * capacity ? "near" : "ok";
        cell.append(el("div", { class: `load ${state}`, title: `load ${used} of capacity ${capacity}`, text: `${used}/${capacity}` }));
        if (it.is_ip) cell.classList.add("ip");
      }
      const here = board.cards.filter((c) => c.team === team.key && c.iteration === it.index
        && (!onlyProblems?.checked || troubles.has(c.ref)));
      if (it.index == null) {
        const open = openUnplanned.has(team.key);
        const toggle = el("button", { type: "button", class: "pile", "aria-expanded": String(open),
          "aria-label": `${here.length} unplanned cards of ${team.key}: ${open ? "hide" : "show"} them`,
          text: `${here.length} unplanned ${open ? "▾" : "▸"}` });
        toggle.addEventListener("click", () => { if (open) openUnplanned.delete(team.key); else openUnplanned.add(team.key); render(); });
        cell.append(toggle);
        if (open) for (const c of here) cell.append(cardEl(c));
      } else {
        for (const c of here) cell.append(cardEl(c));
      }
      cell.addEventListener("dragover", (e) => { if (dragging?.team === team.key) { e.preventDefault(); cell.classList.add("drop"); } });
      cell.addEventListener("dragleave", () => cell.classList.remove("drop"));
      cell.addEventListener("drop", (e) => {
        e.preventDefault();
        cell.classList.remove("drop");
        if (dragging && dragging.team === team.key) move(dragging, it.index);
      });
      cells.push(cell);
    }
  }
  boardEl.replaceChildren(...rows.map((cells) => el("div", { class: "row", role: "row" }, ...cells)));
  if (focused) document.getElementById(focused)?.focus();
  requestAnimationFrame(drawStrings);
  if (selected) showDetails(selected);
}

let dragging = null;

// Per card, what is wrong: blocked, a dependency in trouble on either end, an over-loaded cell.
function cardTroubles(load) {
  const found = new Map();
  const note = (ref, what) => found.set(ref, [...(found.get(ref) || []), what]);
  const cards = cardsByRef();
  for (const d of board.dependencies) {
    const status = dependencyStatus(cards.get(d.consumer)?.iteration, cards.get(d.provider)?.iteration, d.state);
    if (!TROUBLE.has(status)) continue;
    note(d.consumer, `needs ${d.provider}: ${status}`);
    note(d.provider, `${d.consumer} needs it: ${status}`);
  }
  for (const c of board.cards) {
    if (c.status === "blocked") note(c.ref, "blocked");
    const team = board.teams.find((t) => t.key === c.team);
    const capacity = c.iteration == null ? null : team?.cells.find((x) => x.iteration === c.iteration)?.capacity;
    if (capacity != null && load.get(`${c.team}|${c.iteration}`) > capacity) note(c.ref, `${c.team} is over capacity in ${label(c.iteration)}`);
  }
  return found;
}

function cardEl(card) {
  const mine = movable.has(card.team);
  const node = el("div", {
    class: `card status-${(card.status || "not started").replace(" ", "-")}${mine ? "" : " fixed"}`, id: `card-${card.ref}`,
    draggable: mine ? "true" : "false", tabindex: "0", role: "button",
    "data-ref": card.ref, "data-id": String(card.id),
    "aria-label": `${card.feature} ${card.title}, ${card.points} points, team ${card.team}, ${card.iteration ? "iteration " + card.iteration : "unplanned"}, ${card.status || "not started"}`,
  }, el("span", { class: "key", text: card.feature }), el("span", { class: "points", text: String(card.points) }), el("span", { class: "title", text: card.title }));
  if (!mine) node.title = `${card.team}'s card: its team or the RTE moves it`;
  const linked = board.dependencies.filter((d) => d.consumer === card.ref || d.provider === card.ref).length;
  const key = node.querySelector(".key");  // the badges ride on the key's line: a card stays two lines tall
  if (linked) key.append(" ", el("span", { class: "deps", title: `${linked} dependenc${linked === 1 ? "y" : "ies"}`, text: `⇄${linked}` }));
  const wrong = troubles.get(card.ref);
  if (wrong) {
    node.classList.add("trouble");
    key.append(" ", el("span", { class: "flag", title: wrong.join("; "), text: "!" }));
    node.setAttribute("aria-label", `${node.getAttribute("aria-label")}; ${wrong.join("; ")}`);
  }
  node.addEventListener("dragstart", (e) => { dragging = card; e.dataTransfer.setData("text/plain", card.ref); e.dataTransfer.effectAllowed = "move"; forewarn(card); });
  node.addEventListener("dragend", () => { dragging = null; forewarn(null); });
  node.addEventListener("click", () => showDetails(card.ref));
  node.addEventListener("keydown", (e) => {
    const last = board.iterations.length;
    const moving = ["ArrowRight", "ArrowLeft", "u", "U"].includes(e.key);
    if (moving && !mine) { e.preventDefault(); announcer.textContent = node.title; return; }
    if (e.key === "ArrowRight") { e.preventDefault(); move(card, card.iteration == null ? 1 : Math.min(last, card.iteration + 1)); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); if (card.iteration != null && card.iteration > 1) move(card, card.iteration - 1); }
    else if (e.key === "u" || e.key === "U") { e.preventDefault(); move(card, null); }
    else if (e.key === "Enter") { e.preventDefault(); showDetails(card.ref); }
  });
  return node;
}

// While a card is dragged, each cell of its team says before the drop what the move would do there:
// overload the iteration, or break a dependency (its provider not done before it, or a consumer
// that needs it earlier). ``card`` null clears the warnings.
function forewarn(card) {
  for (const cell of boardEl.querySelectorAll(".cell.would-overload, .cell.would-break")) {
    cell.classList.remove("would-overload", "would-break");
    cell.removeAttribute("title");
  }
  if (!card) return;
  const cards = cardsByRef();
  const load = cellLoads();
  const team = board.teams.find((t) => t.key === card.team);
  for (const cell of boardEl.querySelectorAll(`.cell[data-team="${CSS.escape(card.team)}"]`)) {
    if (cell.dataset.iteration === "") continue;
    const to = Number(cell.dataset.iteration);
    if (to === card.iteration) continue;
    const used = load.get(`${card.team}|${to}`) || 0;
    const capacity = team.cells.find((c) => c.iteration === to).capacity;
    const said = [];
    if (used + card.points > capacity) { cell.classList.add("would-overload"); said.push(`overloads ${label(to)}: ${used + card.points} of ${capacity}`); }
    const broken = board.dependencies.filter((d) => d.state !== "delivered" && (
      (d.consumer === card.ref && TROUBLE.has(dependencyStatus(to, cards.get(d.provider)?.iteration, d.state))) ||
      (d.provider === card.ref && TROUBLE.has(dependencyStatus(cards.get(d.consumer)?.iteration, to, d.state)))));
    if (broken.length) { cell.classList.add("would-break"); said.push(`puts ${broken.length} dependenc${broken.length === 1 ? "y" : "ies"} at risk or breaks them`); }
    if (said.length) cell.title = `Moving ${card.ref} here ${said.join(" and ")}`;
  }
}

function label(iteration) {
  if (iteration == null) return "unplanned";
  return board.iterations.find((it) => it.index === iteration)?.label ?? `I${iteration}`;
}

async function move(card, iteration, version = card.version) {
  if (card.iteration === iteration) return;
  if (iteration == null) openUnplanned.add(card.team);  // the card stays in sight
  const result = await api(`/api/v1/cards/${card.id}`, { method: "PATCH", body: { iteration }, headers: { "If-Match": `"${version}"` } });
  if (result.ok) {
    Object.assign(card, { iteration: result.data.iteration, version: result.data.version });
    announcer.textContent = `${card.ref} moved to ${label(iteration)}`;
    render();
    document.getElementById(`card-${card.ref}`)?.focus();
  } else if (result.status === 412) {
    const current = result.data.current || {};
    Object.assign(card, { iteration: current.iteration, version: current.version });
    render();
    toast(`${card.ref} was changed by someone else meanwhile: it is now in ${label(current.iteration)}. Your move to ${label(iteration)} was not applied.`,
      [{ label: `Move it to ${label(iteration)} anyway`, run: () => move(card, iteration, current.version) }]);
  } else {
    toast(result.data.detail || `Could not move ${card.ref}.`);
  }
}

function drawStrings() {
  const wrap = boardEl.parentElement.getBoundingClientRect();
  svg.setAttribute("width", boardEl.scrollWidth);
  svg.setAttribute("height", boardEl.scrollHeight);
  svg.replaceChildren(arrowheads());
  const cards = cardsByRef();
  for (const dep of board.dependencies) {
    const consumer = cards.get(dep.consumer), provider = cards.get(dep.provider);
    const status = dependencyStatus(consumer?.iteration, provider?.iteration, dep.state);
    dep.status = status;
    if (status === "pending" || (status === "ok" && !allStrings?.checked)) continue;
    const a = document.getElementById(`card-${dep.provider}`)?.getBoundingClientRect();
    const b = document.getElementById(`card-${dep.consumer}`)?.getBoundingClientRect();
    if (!a || !b) continue;
    const x1 = a.right - wrap.left, y1 = a.top + a.height / 2 - wrap.top;
    const x2 = b.left - wrap.left, y2 = b.top + b.height / 2 - wrap.top;
    const bend = Math.max(30, Math.abs(x2 - x1) / 2);
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`);
    path.setAttribute("class", `string ${status}`);
    path.setAttribute("marker-end", `url(#arrow-${status})`);  // the string points at the card that waits
    path.dataset.consumer = dep.consumer;
    path.dataset.provider = dep.provider;
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${dep.consumer} needs ${dep.provider}: ${status}`;
    path.append(title);
    svg.append(path);
  }
}

function arrowheads() {
  const defs = document.createElementNS(SVG, "defs");
  for (const status of ["ok", "at-risk", "broken", "unplanned-provider"]) {
    const marker = document.createElementNS(SVG, "marker");
    for (const [name, value] of Object.entries({ id: `arrow-${status}`, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" })) marker.setAttribute(name, value);
    const tip = document.createElementNS(SVG, "path");
    tip.setAttribute("d", "M0,0 L10,5 L0,10 z");
    tip.setAttribute("class", `arrowhead ${status}`);
    marker.append(tip);
    defs.append(marker);
  }
  return defs;
}

async function showDetails(ref) {
  selected = ref;
  const card = cardsByRef().get(ref);
  if (!card) { details.hidden = true; return; }
  const needs = board.dependencies.filter((d) => d.consumer === ref);
  const neededBy = board.dependencies.filter((d) => d.provider === ref);
  const cards = cardsByRef();
  // The lifecycle moves the server allows come with the board; the server checks who may.
  const MOVES = board.rules.dependency_moves;
  const WORDS = { committed: "Commit", delivered: "Delivered", broken: "Break", requested: "Request again" };
  const depItem = (d, other) => {
    const status = dependencyStatus(cards.get(d.consumer)?.iteration, cards.get(d.provider)?.iteration, d.state);
    const buttons = (MOVES[d.state] || []).map((to) => {
      const button = el("button", { type: "button", class: "dep-move", text: WORDS[to], "aria-label": `${WORDS[to]}: ${d.consumer} needs ${d.provider}` });
      button.addEventListener("click", () => moveDependency(d, to));
      return button;
    });
    return el("li", {}, el("span", { class: `badge ${status}`, text: status }), ` ${other} (${label(cards.get(other)?.iteration)}) `,
      el("span", { class: `badge state-${d.state}`, text: d.state }), " ", ...buttons);
  };
  const history = el("ol", { class: "plain events" });
  details.replaceChildren(
    el("button", { type: "button", class: "close", "aria-label": "Close details", text: "×" }),
    el("h2", { text: card.ref }),
    el("p", { text: card.title }),
    el("p", { class: "muted", text: `${card.points} points · ${card.team} · ${label(card.iteration)} · ${card.status || "not started"} · version ${card.version}` }),
    el("h3", { text: "Needs" }), needs.length ? el("ul", { class: "plain" }, ...needs.map((d) => depItem(d, d.provider))) : el("p", { class: "muted", text: "nothing" }),
    el("h3", { text: "Needed by" }), neededBy.length ? el("ul", { class: "plain" }, ...neededBy.map((d) => depItem(d, d.consumer))) : el("p", { class: "muted", text: "nobody" }),
    el("h3", { text: "History" }), history,
  );
  details.querySelector(".close").addEventListener("click", () => { selected = null; details.hidden = true; });
  details.hidden = false;
  const result = await api(`/api/v1/trains/${encodeURIComponent(train)}/events?item=${encodeURIComponent(ref)}`);
  if (result.ok) history.append(...result.data.events.slice(-20).reverse().map((e) => el("li", { text: `#${e.seq} ${e.actor}: ${e.summary}` })));
}

async function moveDependency(d, state) {
  const query = `consumer=${encodeURIComponent(d.consumer)}&provider=${encodeURIComponent(d.provider)}`;
  const result = await api(`/api/v1/trains/${encodeURIComponent(train)}/dependencies?${query}`, { method: "PATCH", body: { state } });
  if (!result.ok) toast(result.data.detail || "The dependency was not changed.");
}

function applyEvent(event) {
  if (event.entity === "card" && board.rules.card_changes.includes(event.action) && event.after) {
    const card = cardsByRef().get(event.entity_id);
    if (card) {
      Object.assign(card, { iteration: event.after.iteration, status: event.after.status, version: event.after.version });
      board.seq = event.seq;
      render();
      return;
    }
  }
  load();  // anything else (a dependency, a feature, an import): read the board again
}

window.addEventListener("resize", () => board && requestAnimationFrame(drawStrings));
await load();
live = connectLive(train, { seq: board ? board.seq : 0, onEvent: applyEvent, onGap: load, onState: setLiveState });
