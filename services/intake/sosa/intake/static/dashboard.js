"use strict";
// Filled in by intake (a meta tag: no inline script under the page's Content-Security-Policy):
// where the notifier's stream is, as this browser reaches it.
const CONFIG = JSON.parse(document.querySelector('meta[name="sosa-config"]').content || "{}");
const $ = (id) => document.getElementById(id);
let credential = sessionStorage.getItem("sosa.key") || "";
let lastEventId = sessionStorage.getItem("sosa.lastEventId");
let feedAbort = null;

function text(value) { return document.createTextNode(value == null ? "" : String(value)); }
function row(cells, header) {
  const tr = document.createElement("tr");
  for (const [value, numeric] of cells) {
    const td = document.createElement(header ? "th" : "td");
    if (numeric) td.className = "n";
    td.appendChild(text(value));
    tr.appendChild(td);
  }
  return tr;
}
function fill(id, head, rows) {
  const table = $(id);
  table.replaceChildren(row(head, true), ...rows.map((r) => row(r, false)));
}
let operator = false;
function setStatus(state, message) { $("status").dataset.state = state; $("status").textContent = message; }
function headers(extra) { return Object.assign({ Authorization: "Bearer " + credential }, extra || {}); }

async function refreshSummary() {
  const response = await fetch("/v1/dashboard/summary?working_days=3", { headers: headers() });
  if (!response.ok) { setStatus("error", "summary: HTTP " + response.status); return; }
  const s = await response.json();
  const counts = (o) => Object.entries(o).sort().map(([k, n]) => [[k], [n, true]]);
  fill("by-state", [["state"], ["requests", true]], counts(s.by_state));
  fill("by-path", [["path"], ["requests", true]], counts(s.by_path));
  // the deadline as the supplier reads it (its own zone, with the offset), UTC beside it
  const due = (r) => [[r.request_id], [r.supplier], [r.rating], [r.deadline_local || r.deadline], [r.deadline]];
  const dueColumns = [["request"], ["supplier"], ["rating"], ["deadline (supplier's time)"], ["UTC"]];
  fill("overdue", dueColumns, s.overdue.map(due));
  fill("due-soon", dueColumns, s.due_soon.map(due));
  $("overdue-count").textContent = s.overdue_count;
  $("due-count").textContent = s.due_soon_count;
  $("due-days").textContent = s.due_within_working_days;
  const party = (p) => [[p.party_id], [p.total, true], [p.open, true], [p.overdue, true]];
  const partyHead = [["party"], ["requests", true], ["open", true], ["overdue", true]];
  fill("by-requester", partyHead, s.by_requester.map(party));
  fill("by-supplier", partyHead, s.by_supplier.map(party));
}

async function refreshFailures() {
  const response = await fetch(CONFIG.notifierUrl + "/v1/delivery-failures", { headers: headers() });
  if (!response.ok) return;
  const f = await response.json();
  $("failures-since").textContent = "since " + f.since;
  fill("failures", [["endpoint"], ["party"], ["failed attempts", true], ["given up", true], ["retrying", true], ["state"], ["last error"]],
    f.targets.map((t) => [[t.target || t.target_id], [t.party_id], [t.failed_attempts, true], [t.failed, true], [t.retrying, true],
      [t.enabled === false ? "disabled: " + (t.disabled_reason || "") : "enabled"], [t.last_error]]));
}

async function refreshPipeline() {
  if (!operator) return;
  const response = await fetch("/v1/dashboard/pipeline", { headers: headers() });
  if (!response.ok) return;
  const p = await response.json();
  $("pipeline-panel").hidden = false;
  $("lag-at").textContent = p.lag_measured_at ? "at " + p.lag_measured_at : "";
  fill("lag", [["service"], ["group"], ["topic"], ["lag", true]], p.lag.map((g) => [[g.service], [g.group], [g.topic], [g.lag, true]]));
  const total = Object.values(p.dead_letters).reduce((a, b) => a + b, 0);
  $("dlq-count").textContent = total;
  fill("dlq-topics", [["topic"], ["letters", true]], Object.entries(p.dead_letters).sort().map(([k, n]) => [[k], [n, true]]));
  fill("dlq-recent", [["at"], ["consumer"], ["type"], ["error"]], p.recent_dead_letters.map((d) => [[d.at], [d.consumer], [d.event_type], [d.error]]));
  $("pipeline-error").textContent = p.error || "";
}

async function refreshPosture() {
  const response = await fetch("/v1/posture", { headers: headers() });
  if (!response.ok) return;
  const p = await response.json();
  const all = [p.global, ...p.partners];
  // the strongest highlight among the postures in force colours the banner
  const rank = { none: 0, amber: 1, red: 2 };
  const top = all.reduce((a, b) => (rank[b.settings.highlight] > rank[a.settings.highlight] ? b : a));
  $("posture").dataset.highlight = top.settings.highlight;
  $("posture").textContent = "posture: " + all.map((e) => e.scope + " " + e.posture).join(" · ") +
    " — " + p.dpas_limits_unchanged;
}

// The resilience figures: over the viewer's requests received in the chosen period. Computing
// them reads every such request, so they refresh at most every 15 s (or when the form changes).
const FIGURES = ["concentration", "redundancy-gaps", "rates", "answer-times", "counter-offers"];
const SHOWN = 15;
let analyticsAt = 0;
function analyticsQuery(figure, format) {
  const q = new URLSearchParams();
  if (figure === "concentration" || figure === "redundancy-gaps") {
    q.set("by", $("analytics-by").value);
    if (!format) q.set("limit", String(SHOWN));  // the rows and shares the page shows
  }
  if (figure === "rates") q.set("group_by", $("analytics-group").value);
  const since = $("analytics-since").value, until = $("analytics-until").value;
  if (since) q.set("since", since + "T00:00:00Z");
  if (until) {  // the day chosen is included: up to the start of the next one
    const next = new Date(until + "T00:00:00Z");
    next.setUTCDate(next.getUTCDate() + 1);
    q.set("until", next.toISOString());
  }
  if (format) q.set("format", format);
  return "/v1/analytics/" + figure + "?" + q;
}
async function figure(name) {
  const response = await fetch(analyticsQuery(name), { headers: headers() });
  if (!response.ok) throw new Error(name + ": HTTP " + response.status + " " + await response.text());
  return response.json();
}
const percent = (v) => (v == null ? "-" : Math.round(v * 100) + "%");
function duration(hours) {  // a median answer time as a person reads it
  if (hours < 1 / 60) return Math.round(hours * 3600) + " s";
  if (hours < 1) return Math.round(hours * 60) + " min";
  if (hours < 48) return hours.toFixed(1) + " h";
  return (hours / 24).toFixed(1) + " days";
}
const shares = (s) => Object.entries(s).map(([k, v]) => k + " " + Math.round(v * 100) + "%").join(", ");

async function refreshAnalytics(force) {
  if (!force && Date.now() - analyticsAt < 15000) return;
  analyticsAt = Date.now();
  let c, g, r, t, o;
  try {
    [c, g, r, t, o] = await Promise.all(FIGURES.map(figure));
  } catch (error) {
    $("analytics-error").textContent = String(error.message || error);
    return;
  }
  $("analytics-error").textContent = "";
  const by = $("analytics-by").value;
  for (const el of document.querySelectorAll(".analytics-by")) el.textContent = by;
  $("analytics-count").textContent = c.requests;
  $("analytics-period").textContent = "received " + (c.period.since || "from the first") + " to " +
    (c.period.until || "now") + ", computed " + c.computed_at;
  fill("concentration", [[by], ["rated", true], ["HHI", true], ["shares"]],
    c.rows.slice(0, SHOWN).map((x) => [[x.key], [x.total, true], [x.hhi.toFixed(2), true], [shares(x.shares)]]));
  fill("gaps", [[by], ["requests", true], ["accepting"]],
    g.rows.slice(0, SHOWN).map((x) => [[x.key], [x.requests, true], [x.accepting.join(", ") || "none"]]));
  fill("rates", [[$("analytics-group").selectedOptions[0].text], ["requests", true], ["clock ended", true],
    ["missed deadline", true], ["overdue rate", true], ["answered", true], ["refused", true], ["rejection rate", true]],
    r.rows.map((x) => [[x.key], [x.requests, true], [x.clocked, true], [x.overdue, true], [percent(x.overdue_rate), true],
      [x.answered, true], [x.refused, true], [percent(x.rejection_rate), true]]));
  fill("answer-times", [["path"], ["answered", true], ["median", true]],
    t.rows.map((x) => [[x.path], [x.answered, true], [duration(x.median_hours), true]]));
  fill("counter-offers", [["supplier"], ["offers", true], ["median days", true], ["largest", true]],
    o.rows.map((x) => [[x.supplier === "*" ? "all suppliers" : x.supplier], [x.offers, true], [x.median_days, true], [x.max_days, true]]));
  $("analytics-methods").replaceChildren(...[c, g, r, t, o].flatMap((f) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.appendChild(text(f.figure.replace("_", " ")));
    dd.appendChild(text(f.method));
    return [dt, dd];
  }));
}

// CSV as the API exports it (method and period as # lines); fetched with the credential.
async function downloadCsv(name) {
  const response = await fetch(analyticsQuery(name, "csv"), { headers: headers() });
  if (!response.ok) { $("analytics-error").textContent = name + " CSV: HTTP " + response.status; return; }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = "sosa-" + name + ".csv";
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function refreshAll() {
  return Promise.all([refreshSummary(), refreshPosture().catch(() => {}), refreshAnalytics().catch(() => {}), refreshFailures().catch(() => {}), refreshPipeline().catch(() => {})]);
}

function showEvent(id, type, data) {
  let body = {};
  try { body = JSON.parse(data); } catch (e) { body = {}; }
  const d = body.data || {};
  const li = document.createElement("li");
  li.dataset.eventId = id;
  li.dataset.requestId = d.request_id || "";
  li.dataset.type = type;
  if ((d.state || "") === "overdue") li.className = "overdue";
  li.appendChild(text([body.timestamp || "", type, d.request_id || "", d.state || ""].join("  ")));
  $("feed").prepend(li);
  while ($("feed").children.length > 200) $("feed").lastChild.remove();
}

// Server-sent events read with fetch (EventSource cannot send Authorization), resumed after
// any break with Last-Event-ID: the notifier sends exactly the events after it.
async function follow() {
  while (credential) {
    feedAbort = new AbortController();
    try {
      const extra = lastEventId ? { "Last-Event-ID": lastEventId } : {};
      const response = await fetch(CONFIG.notifierUrl + "/v1/stream", { headers: headers(extra), signal: feedAbort.signal });
      if (!response.ok) throw new Error("stream: HTTP " + response.status);
      setStatus("live", "live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id = null, type = "message", data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("id:")) id = line.slice(3).trim();
            else if (line.startsWith("event:")) type = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (data.length) {
            showEvent(id, type, data.join("\n"));
            refreshSoon();
          }
          if (id !== null) { lastEventId = id; sessionStorage.setItem("sosa.lastEventId", id); }
        }
      }
      setStatus("error", "stream ended; reconnecting");
    } catch (error) {
      if (feedAbort.signal.aborted) return;
      setStatus("error", String(error.message || error) + "; reconnecting");
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; refreshAll().catch(() => {}); }, 300);
}

async function connect() {
  credential = $("key").value.trim();
  if (!credential) return;
  sessionStorage.setItem("sosa.key", credential);
  if (feedAbort) feedAbort.abort();
  const me = await fetch("/v1/me", { headers: headers() });
  if (!me.ok) { setStatus("error", "credential refused: HTTP " + me.status); return; }
  const who = await me.json();
  $("viewer").textContent = (who.party_id || "") + " " + JSON.stringify(who.roles || []);
  operator = (who.roles || []).includes("operator");
  $("pipeline-panel").hidden = !operator;
  analyticsAt = 0;
  await refreshAll();
  follow();
}

$("connect").addEventListener("click", () => { connect().catch((e) => setStatus("error", String(e))); });
$("analytics-form").addEventListener("change", () => { if (credential) refreshAnalytics(true).catch(() => {}); });
$("analytics-form").addEventListener("submit", (event) => event.preventDefault());
for (const button of document.querySelectorAll("[data-csv]")) {
  button.addEventListener("click", () => { downloadCsv(button.dataset.csv).catch((e) => { $("analytics-error").textContent = String(e); }); });
}
setInterval(() => { if (credential) refreshAll().catch(() => {}); }, 5000);
if (credential) { $("key").value = credential; connect().catch((e) => setStatus("error", String(e))); }
