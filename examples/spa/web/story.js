// The story on screen: each step the app takes, with what it sent and what
// came back, newest first. Values are shown as text, never as HTML.

const steps = [];
const labels = { ok: "OK", refused: "Refused", error: "Error", info: "Note" };

// el makes an element with attributes and text or element children.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) e.append(c);
  return e;
}

// logStep adds a step: {id, kind: ok|refused|error|info, title, why,
// sent: [lines], got: [lines], table: [[row, idToken, accessToken], ...]}.
export function logStep(step) {
  steps.push(step);
  show(step, steps.length);
  const announce = document.getElementById("announce");
  announce.textContent = `${labels[step.kind]}: ${step.title}`;
}

// saved returns the steps so far, for the sign-in redirect to carry; they
// hold shortened tokens only.
export function saved() {
  return steps.slice();
}

// restore shows the steps taken before the page went to the issuer.
export function restore(earlier) {
  for (const s of earlier || []) {
    steps.push(s);
    show(s, steps.length);
  }
}

function show(step, n) {
  const li = el("li", { class: `step ${step.kind}`, "data-step": step.id || "", "data-outcome": step.kind, value: n });
  li.append(el("h3", {}, el("span", { class: `badge ${step.kind}` }, labels[step.kind]), ` ${n}. ${step.title}`));
  if (step.why) li.append(el("p", { class: "why" }, step.why));
  if (step.table) li.append(table(step.table));
  if (step.sent?.length) li.append(wire("Sent", step.sent));
  if (step.got?.length) li.append(wire("Came back", step.got));
  document.getElementById("log").prepend(li);
}

function wire(label, lines) {
  return el("div", { class: "wire" }, el("span", { class: "wire-label" }, label), el("pre", {}, lines.join("\n")));
}

function table(rows) {
  const [head, ...body] = rows;
  const t = el("table", { class: "claims" });
  t.append(el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))));
  t.append(el("tbody", {}, ...body.map(([k, ...v]) => el("tr", {}, el("th", { scope: "row" }, k), ...v.map((x) => el("td", {}, x))))));
  return el("div", { class: "table-wrap" }, t);
}
