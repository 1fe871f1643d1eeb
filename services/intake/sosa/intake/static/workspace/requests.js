// Requests: the lists each role works from, one request's detail and timeline, and the forms
// of the commands the viewer's roles may send (answer, amend, cancel, determine, authorize).
import { ApiError, decided, intake, notifier } from "./api.js";
import { $, clearProblem, el, inZone, notice, showProblem, showRefusal, table, timeLeft } from "./show.js";

const base = (id) => "/v1/priority-requests/" + encodeURIComponent(id);
let viewer = { party_id: "", roles: [] };
let current = null;  // the request shown in the detail panel
export function setViewer(me) { viewer = me; }
const has = (role) => viewer.roles.includes(role);

async function listed(query) {
  const page = await intake.get("/v1/priority-requests?limit=100&" + query);
  return page.items;
}

function pickRow(item, cells) {
  const row = el("tr", { className: "pick", dataset: { requestId: item.request_id }, onclick: () => open(item.request_id) },
    cells.map((c) => el("td", null, c)));
  if (current && current.request_id === item.request_id) row.classList.add("chosen");
  return row;
}

// The supplier's queue: each request's view, for its items and the supplier's own time zone.
export async function refreshAnswerQueue() {
  const items = await listed("state=routed&state=overdue&supplier=" + encodeURIComponent(viewer.party_id));
  const views = await Promise.all(items.map((item) => intake.get(base(item.request_id))));
  $("answer-count").textContent = views.length;
  views.sort((a, b) => String(a.deadline || "~").localeCompare(String(b.deadline || "~")));
  table("answer-list", ["request", "from", "items", "rating", "deadline (your time)", "time left"], views.map((v) => {
    const zone = v.details.supplier.timezone;
    const left = el("span", { className: v.deadline && new Date(v.deadline) < new Date() ? "late" : null }, timeLeft(v.deadline));
    return pickRow(v, [v.request_id, v.requester, v.details.items.map((i) => i.quantity + " × " + i.description).join("; "),
      v.rating || "unrated", v.deadline ? inZone(v.deadline, zone) : "no clock", left]);
  }));
}

export async function refreshRequesterList() {
  const items = await listed("requester=" + encodeURIComponent(viewer.party_id));
  $("requests-count").textContent = items.length;
  items.reverse();  // newest first
  table("requests-list", ["request", "supplier", "rating", "state", "updated"], items.map((i) =>
    pickRow(i, [i.request_id, i.supplier, i.rating || "", el("span", { className: "state" }, i.state), inZone(i.updated_at)])));
}

export async function refreshAuthorityQueue(state, list, count) {
  const items = await listed("state=" + state);
  $(count).textContent = items.length;
  table(list, ["request", "requester", "supplier", "received"], items.map((i) =>
    pickRow(i, [i.request_id, i.requester, i.supplier, inZone(i.received_at)])));
}

export async function search(filters) {
  if (filters.id) {
    try { await open(filters.id); } catch (error) { showProblem(error, "Search"); }
    return;
  }
  const q = new URLSearchParams({ limit: "100" });
  for (const name of ["state", "requester", "supplier", "rating"]) if (filters[name]) q.set(name, filters[name]);
  const page = await intake.get("/v1/priority-requests?" + q);
  table("search-list", ["request", "requester", "supplier", "rating", "state", "deadline"], page.items.map((i) =>
    pickRow(i, [i.request_id, i.requester, i.supplier, i.rating || "", el("span", { className: "state" }, i.state), inZone(i.deadline)])));
}

// --- one request ---------------------------------------------------------------------------

export async function open(requestId) {
  const view = await intake.get(base(requestId));
  current = view;
  $("detail").hidden = false;
  $("detail-id").textContent = view.request_id;
  $("detail-state").textContent = view.state;
  $("detail-state").dataset.state = view.state;
  const d = view.details, zone = d.supplier.timezone;
  const facts = [
    ["requester", view.requester], ["supplier", view.supplier + (zone ? " (" + zone + ")" : "")],
    ["path", view.path || "not decided"], ["rating", view.rating || "unrated"],
    ["contract", d.contract_number || ""], ["required delivery", (d.required_delivery_dates || []).join(", ")],
    ["deadline", view.deadline ? inZone(view.deadline, zone) + " · " + timeLeft(view.deadline) : "no clock"],
    ["deadline (UTC)", view.deadline || ""], ["received", inZone(view.received_at)],
  ];
  $("detail-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", null, k), el("dd", { dataset: { fact: k } }, v)]));
  table("detail-items", ["item", "quantity", "unit", "NSN"], d.items.map((i) =>
    el("tr", null, el("td", null, i.description), el("td", null, i.quantity), el("td", null, i.unit), el("td", null, i.nsn || ""))));
  $("timeline").replaceChildren(...view.timeline.map((t) => el("li", { className: t.kind === "refused" ? "refused" : null, dataset: { kind: t.kind } },
    inZone(t.occurred_at) + " · " + t.kind + (t.kind === "refused" ? " " + (t.command_type || "") : " → " + t.state),
    el("div", { className: "reason" }, t.decision.findings.map((f) => f.rule_id + ": " + f.reason).join(" ")))));
  for (const row of document.querySelectorAll("tr.pick")) row.classList.toggle("chosen", row.dataset.requestId === view.request_id);
  // The forms depend on the request's state, path and rating only: while those stand (a command
  // the router refused changes none of them), what the viewer typed stays for a second try.
  const formsFor = [viewer.party_id, view.request_id, view.state, view.path, view.rating].join("|");
  if ($("actions").dataset.formsFor !== formsFor) {
    await actionsFor(view);
    $("actions").dataset.formsFor = formsFor;
  }
  if (has("operator")) await deliveriesOf(view.request_id).catch((error) => showProblem(error, "Delivery log"));
  return view;
}

async function deliveriesOf(requestId) {
  const log = await notifier.get("/v1/deliveries?request_id=" + encodeURIComponent(requestId));
  $("detail-deliveries-title").hidden = false;
  table("detail-deliveries", ["party", "type", "status", "attempts", "last error", ""], log.map((d) =>
    el("tr", { dataset: { deliveryId: d.delivery_id, status: d.status } }, el("td", null, d.party_id), el("td", null, d.event_type),
      el("td", null, d.status), el("td", null, d.attempts), el("td", null, d.last_error || ""),
      el("td", null, d.status === "delivered" ? "" : el("button", { type: "button", className: "retry", onclick: () => retryDelivery(d.delivery_id) }, "Retry")))));
}

async function retryDelivery(deliveryId) {
  clearProblem();
  try {
    const d = await notifier.post("/v1/deliveries/" + encodeURIComponent(deliveryId) + "/retry");
    notice("delivery " + d.delivery_id + " queued again (" + d.status + ")");
  } catch (error) { showProblem(error, "Retry"); }
  if (current) await deliveriesOf(current.request_id).catch(() => {});
}

// Sends a command; shows the API's refusal (4xx) or the router's, else what it did.
async function send(what, path, body) {
  clearProblem();
  let accepted;
  try {
    accepted = await intake.post(base(current.request_id) + path, body);
  } catch (error) {
    showProblem(error, what);
    return;
  }
  notice(what + ": stored, waiting for the router…");
  const requestId = current.request_id;
  const status = await decided(accepted, () => current && current.request_id === requestId);
  if (!current || current.request_id !== requestId) return;  // the viewer opened another request
  // The page shows the request as the router left it before it says what happened, so that
  // whoever reads the result (or acts on it) reads the page it belongs to.
  await open(requestId);
  if (status.status === "refused") showRefusal(status, what);
  else notice(what + ": " + status.status + (status.outcomes.length ? " → " + status.outcomes[status.outcomes.length - 1].state : ""));
  document.dispatchEvent(new Event("sosa:changed"));
}

function field(label, input) { return el("label", null, label, input); }
function form(id, legend, fields, button, onsubmit) {
  return el("form", { id, onsubmit: (event) => { event.preventDefault(); onsubmit(event.target); } },
    el("fieldset", null, el("legend", null, legend), fields, el("button", { type: "submit" }, button)));
}
const value = (f, name) => (f.elements[name].value || "").trim() || null;

async function actionsFor(view) {
  const forms = [];
  const awaiting = ["routed", "overdue"].includes(view.state);
  if (has("supplier") && view.supplier === viewer.party_id && awaiting) forms.push(...await answerForms(view));
  const open_ = !["cancelled", "rejected", "fulfilled"].includes(view.state);
  if (has("requester") && view.requester === viewer.party_id && open_) forms.push(...requesterForms());
  if (has("determination_authority") && view.state === "awaiting_determination") forms.push(decisionForm("determine", "determination",
    "Program determination (DoD)", "approved", { authority_party_id: viewer.party_id }));
  if (has("rating_authority") && view.state === "awaiting_authorization") forms.push(decisionForm("authorize", "authorization",
    "Rating authorization (Commerce)", "authorized", { authority_party_id: viewer.party_id }, true));
  $("actions").replaceChildren(...forms);
}

// The answers this request takes, and the 15 CFR 700.13 codes valid on its path (from the API).
async function answerForms(view) {
  const options = await intake.get(base(view.request_id) + "/answer-options");
  const who = { supplier_party_id: viewer.party_id };
  const forms = [];
  if (options.kinds.includes("accept")) forms.push(form("answer-accept", "Accept", [], "Accept", () => send("Accept", "/responses", { ...who, kind: "accept" })));
  if (options.kinds.includes("reject")) {
    const reason = el("select", { name: "reason", id: "reject-reason" }, options.reason_codes.map((r) =>
      el("option", { value: r.code, dataset: { needsDate: String(r.needs_earliest_date) } }, r.paragraph + " — " + r.says)));
    const date = el("input", { name: "earliest", id: "reject-earliest", type: "date" });
    const dateLabel = field("earliest date you can deliver (required for (b) reasons: a counter-offer)", date);
    const sync = () => { const needs = reason.selectedOptions[0] && reason.selectedOptions[0].dataset.needsDate === "true"; dateLabel.hidden = !needs; date.required = needs; };
    reason.addEventListener("change", sync);
    sync();
    forms.push(form("answer-reject", "Reject (15 CFR 700.13)", [field("reason", reason), dateLabel,
      field("explanation", el("input", { name: "explanation" }))], "Reject", (f) => {
      const needs = reason.selectedOptions[0].dataset.needsDate === "true";
      send("Reject", "/responses", { ...who, kind: "reject", reason: reason.value, earliest_delivery_date: needs ? value(f, "earliest") : null, explanation: value(f, "explanation") });
    }));
  }
  if (options.kinds.includes("partial")) forms.push(form("answer-partial", "Counter-offer (partial acceptance)", [
    field("quantity", el("input", { name: "quantity", inputmode: "decimal" })), field("date you can meet", el("input", { name: "offered", type: "date" }))],
  "Offer", (f) => send("Counter-offer", "/responses", { ...who, kind: "partial", accepted_quantity: value(f, "quantity"), offered_date: value(f, "offered") })));
  if (options.kinds.includes("decline")) forms.push(form("answer-decline", "Decline (Code of Conduct)", [
    field("why", el("input", { name: "explanation", required: true })), field("efforts made", el("input", { name: "effort" }))],
  "Decline", (f) => send("Decline", "/responses", { ...who, kind: "decline", explanation: value(f, "explanation"), reasonable_effort: value(f, "effort") })));
  if (!options.kinds.length) forms.push(el("p", null, "No answer applies to this request on its path (" + (options.path || "none") + ")."));
  return forms;
}

const AMENDMENTS = ["schedule_change", "shipping_destination", "quantity_reduction", "quantity_increase_negligible",
  "minor_design_variation", "agreed_change", "rating_change"];
function requesterForms() {
  const who = { issued_by: viewer.party_id };
  const amend = form("amend", "Amend (15 CFR 700.16)", [
    field("kind", el("select", { name: "kind" }, AMENDMENTS.map((k) => el("option", { value: k }, k.replaceAll("_", " "))))),
    field("new delivery date", el("input", { name: "date", type: "date" })),
    field("new rating", el("input", { name: "rating", placeholder: "DO-A3" })),
    field("note", el("input", { name: "note" }))], "Amend", (f) => {
    const date = value(f, "date");
    send("Amend", "/amendments", { ...who, kind: f.elements.kind.value, new_delivery_dates: date ? [date] : [], new_rating: value(f, "rating"), note: value(f, "note") });
  });
  const cancel = form("cancel", "Cancel", [field("reason", el("input", { name: "reason" }))], "Cancel the request",
    (f) => send("Cancel", "/cancellation", { ...who, reason: value(f, "reason") }));
  return [amend, cancel];
}

function decisionForm(id, path, legend, flag, who, rated) {
  const fields = [field("reference", el("input", { name: "reference", required: true })),
    field("decision", el("select", { name: "grant" }, el("option", { value: "yes" }, "grant"), el("option", { value: "no" }, "deny")))];
  if (rated) fields.push(field("rating", el("input", { name: "rating", placeholder: "DO-G2" })));
  fields.push(field("note", el("input", { name: "note" })));
  return form(id, legend, fields, id === "determine" ? "Record determination" : "Record authorization", (f) => {
    const body = { ...who, [flag]: f.elements.grant.value === "yes", reference: value(f, "reference"), note: value(f, "note") };
    if (rated) body.rating = value(f, "rating");
    send(legend, "/" + path, body);
  });
}

export function close() { current = null; $("detail").hidden = true; delete $("actions").dataset.formsFor; }
export function shown() { return current; }
export { ApiError };
