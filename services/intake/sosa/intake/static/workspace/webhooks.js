// The viewer's webhook endpoints, as Svix's app portal shows them: add, send a test, the
// attempts with the receiver's response excerpts, retry, recover a window, rotate, disable.
import { notifier } from "./api.js";
import { $, clearProblem, el, inZone, notice, showProblem, table } from "./show.js";

let chosen = null;
const path = (id) => "/v1/endpoints/" + encodeURIComponent(id);

export async function refreshEndpoints() {
  const endpoints = await notifier.get("/v1/endpoints");
  table("endpoint-list", ["url", "events", "state", "created"], endpoints.map((e) =>
    el("tr", { className: "pick" + (chosen === e.endpoint_id ? " chosen" : ""), dataset: { endpointId: e.endpoint_id }, onclick: () => choose(e.endpoint_id) },
      el("td", null, e.url), el("td", null, (e.event_types || ["all"]).join(", ")),
      el("td", null, e.enabled ? "enabled" : "disabled (" + (e.disabled_reason || "") + ")"), el("td", null, inZone(e.created_at)))));
  if (chosen) await showEndpoint(chosen);
}

async function choose(endpointId) {
  chosen = endpointId;
  $("endpoint-secret").hidden = true;
  await refreshEndpoints();
}

async function showEndpoint(endpointId) {
  const endpoint = await notifier.get(path(endpointId));
  const log = await notifier.get("/v1/deliveries?limit=100&endpoint_id=" + encodeURIComponent(endpointId));
  $("endpoint-detail").hidden = false;
  $("endpoint-id").textContent = endpoint.endpoint_id;
  $("endpoint-state").textContent = endpoint.enabled ? "enabled" : "disabled";
  $("endpoint-toggle").textContent = endpoint.enabled ? "Disable" : "Enable";
  $("endpoint-toggle").dataset.enabled = String(endpoint.enabled);
  const rows = log.reverse().flatMap((d) => {
    const retry = d.status === "delivered" ? "" : el("button", { type: "button", className: "retry", onclick: () => act("Retry", () => notifier.post("/v1/deliveries/" + encodeURIComponent(d.delivery_id) + "/retry")) }, "Retry");
    const attempts = d.attempt_log.length ? d.attempt_log : [null];
    return attempts.map((a, n) => el("tr", { dataset: { deliveryId: d.delivery_id, eventType: d.event_type, status: d.status } },
      el("td", null, n ? "" : d.event_type), el("td", null, n ? "" : d.status),
      el("td", null, a ? inZone(a.attempted_at) : ""), el("td", null, a ? String(a.status_code ?? "-") : ""),
      el("td", { className: "excerpt" }, a ? (a.response_excerpt || a.error || "") : ""), el("td", null, n ? "" : retry)));
  });
  table("attempt-list", ["event", "delivery", "attempted", "status", "response", ""], rows);
}

async function act(what, call) {
  clearProblem();
  try {
    const answer = await call();
    notice(what + ": done");
    return answer;
  } catch (error) {
    showProblem(error, what);
    return null;
  } finally {
    await refreshEndpoints().catch(() => {});
  }
}

export function wire() {
  $("endpoint-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const types = $("endpoint-types").value.split(",").map((t) => t.trim()).filter(Boolean);
    const body = { url: $("endpoint-url").value.trim(), event_types: types.length ? types : null, description: $("endpoint-description").value.trim() || null };
    const created = await act("Add endpoint", () => notifier.post("/v1/endpoints", body));
    if (created) {
      chosen = created.endpoint_id;
      $("endpoint-secret").querySelector("code").textContent = created.secret;
      $("endpoint-secret").hidden = false;
      await refreshEndpoints();
    }
  });
  $("endpoint-test").addEventListener("click", () => act("Send a test", () => notifier.post(path(chosen) + "/test")));
  $("endpoint-rotate").addEventListener("click", async () => {
    const rotated = await act("Rotate secret", () => notifier.post(path(chosen) + "/secret/rotate", {}));
    if (rotated) {
      $("endpoint-secret").querySelector("code").textContent = rotated.secret;
      $("endpoint-secret").hidden = false;
    }
  });
  $("endpoint-toggle").addEventListener("click", () => {
    const enable = $("endpoint-toggle").dataset.enabled !== "true";
    act(enable ? "Enable" : "Disable", () => notifier.patch(path(chosen), { enabled: enable }));
  });
  $("recover-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const since = $("recover-since").value;
    act("Recover", () => notifier.post("/v1/deliveries/recover", { since: since ? new Date(since).toISOString() : "", endpoint_id: chosen }))
      .then((answer) => { if (answer) notice("Recover: " + answer.recovered + " failed deliveries sent again"); });
  });
}
