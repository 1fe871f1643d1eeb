// Small DOM helpers: text only (never HTML from the API), times for people, the problem banner.
export const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null) continue;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function table(id, head, rows) {
  $(id).replaceChildren(el("tr", null, head.map((h) => el("th", null, h))), ...rows);
}

// A deadline in a named IANA zone (the supplier's), with its offset; the browser's zone if none.
export function inZone(instant, zone) {
  if (!instant) return "";
  const options = { dateStyle: "medium", timeStyle: "long", timeZone: zone || undefined };
  try {
    return new Intl.DateTimeFormat("en-GB", options).format(new Date(instant)) + (zone ? " (" + zone + ")" : "");
  } catch (error) {  // an unknown zone: the browser's own
    return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "long" }).format(new Date(instant));
  }
}

export function timeLeft(instant, now) {
  if (!instant) return "";
  const ms = new Date(instant).getTime() - (now || Date.now());
  const abs = Math.abs(ms), days = Math.floor(abs / 86400000), hours = Math.floor((abs % 86400000) / 3600000);
  const minutes = Math.floor((abs % 3600000) / 60000);
  const span = days ? days + " d " + hours + " h" : hours ? hours + " h " + minutes + " min" : minutes + " min";
  return ms >= 0 ? span + " left" : span + " late";
}

export function notice(message) { $("notice").textContent = message || ""; }

export function clearProblem() { $("problem").hidden = true; }

// What the API said when it refused: its detail and each field it named.
export function showProblem(error, what) {
  const problem = (error && error.problem) || { detail: String((error && error.message) || error) };
  $("problem-title").textContent = (what ? what + " refused" : "Refused") + (problem.status ? " (HTTP " + problem.status + "):" : ":");
  $("problem-detail").textContent = problem.detail || problem.title || "";
  $("problem-errors").replaceChildren(...(problem.errors || []).map((e) =>
    el("li", null, (e.field || (e.loc || []).join(".")) + ": " + (e.reason || e.msg || ""))));
  $("problem").hidden = false;
  notice("");
}

// A command the router refused: the blocking findings, with their rule ids.
export function showRefusal(status, what) {
  const findings = status.outcomes.flatMap((o) => o.decision.findings.filter((f) => f.blocking));
  showProblem({ problem: { detail: "the router refused it: " + findings.map((f) => f.reason).join(" "),
    errors: findings.map((f) => ({ field: f.rule_id, reason: f.citation || "" })) } }, what);
}
