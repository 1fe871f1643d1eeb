// The viewer's webhook endpoints, as Svix's app portal shows them: add (its event types picked
// from the notifier's catalog), change, send a test, the attempts with the receiver's response
// excerpts, retry, recover a window, rotate, disable, delete.
import { notifier } from "./api.js";
import { $, clearProblem, el, inZone, notice, showProblem, table } from "./show.js";

let chosen = null;
const path = (id) => "/v1/endpoints/" + encodeURIComponent(id);

let catalog = null;  // the notifier's event types, read once per page (sign-out reloads it)

// Checkboxes for the catalog's types, `chosen` ticked (null: every type, none ticked).
function typePicker(id, chosen) {
  const box = $(id), shown = $(id + "-chosen");
  const sync = () => {
    const ticked = [...box.querySelectorAll("input:checked")].map((i) => i.value);
    shown.textContent = ticked.length ? ticked.join(", ") : "all";
  };
  box.replaceChildren(...(catalog || []).map((t) => el("label", null,
    el("input", { type: "checkbox", value: t.type, checked: (chosen || []).includes(t.type), onchange: sync }),
    " " + t.type + " ", el("small", null, t.description))));
  sync();
}
const ticked = (id) => {
  const types = [...$(id).querySelectorAll("input:checked")].map((i) => i.value);
  return types.length ? types : null;  // none ticked: every type
};

export async function refreshEndpoints() {
  if (!catalog) {
    catalog = await notifier.get("/v1/event-types");
    typePicker("endpoint-types", null);
  }
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
  if ($("edit-form").dataset.endpointId !== endpoint.endpoint_id) {  // keep what is being typed
    $("edit-form").dataset.endpointId = endpoint.endpoint_id;
    $("edit-url").value = endpoint.url;
    $("edit-description").value = endpoint.description || "";
    typePicker("edit-types", endpoint.event_types);
    disarm();
  }
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
    const body = { url: $("endpoint-url").value.trim(), event_types: ticked("endpoint-types"), description: $("endpoint-description").value.trim() || null };
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
  $("edit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { url: $("edit-url").value.trim(), event_types: ticked("edit-types"), description: $("edit-description").value.trim() || null };
    delete $("edit-form").dataset.endpointId;  // show the endpoint as the notifier now has it
    await act("Save changes", () => notifier.patch(path(chosen), body));
  });
  // Deleting takes two presses: the first asks, the second deletes (nothing more is sent there).
  $("endpoint-delete").addEventListener("click", async () => {
    const button = $("endpoint-delete");
    if (button.dataset.armed !== "true") {
      button.dataset.armed = "true";
      button.textContent = "Press again to delete";
      return;
    }
    const gone = chosen;
    chosen = null;
    $("endpoint-detail").hidden = true;
    delete $("edit-form").dataset.endpointId;
    disarm();
    await act("Delete", () => notifier.delete(path(gone)));
  });
  $("recover-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const since = $("recover-since").value;
    act("Recover", () => notifier.post("/v1/deliveries/recover", { since: since ? new Date(since).toISOString() : "", endpoint_id: chosen }))
      .then((answer) => { if (answer) notice("Recover: " + answer.recovered + " failed deliveries sent again"); });
  });
}

function disarm() {
  $("endpoint-delete").dataset.armed = "false";
  $("endpoint-delete").textContent = "Delete";
}
