// Operators: request search with a drill-down (the request's timeline and its deliveries, each
// failed one retried from there), the dead letters, and their replay.
import { intake } from "./api.js";
import { $, clearProblem, el, inZone, notice, showProblem, table } from "./show.js";
import * as requests from "./requests.js";

const STATES = ["received", "awaiting_determination", "awaiting_authorization", "routed", "accepted",
  "rejected_by_supplier", "counter_offered", "declined", "overdue", "fulfilled", "cancelled", "rejected"];
let viewer = { roles: [] };
export function setViewer(me) { viewer = me; }

export async function refresh() {
  if (!viewer.roles.includes("operator")) return;
  const pipeline = await intake.get("/v1/dashboard/pipeline");
  table("dead-letters", ["at", "topic", "consumer", "type", "error"], pipeline.recent_dead_letters.map((d) =>
    el("tr", null, el("td", null, inZone(d.at)), el("td", null, d.topic || ""), el("td", null, d.consumer || ""),
      el("td", null, d.event_type || ""), el("td", null, d.error || ""))));
}

function filters() {
  return { id: $("search-id").value.trim(), state: $("search-state").value, requester: $("search-requester").value.trim(),
    supplier: $("search-supplier").value.trim(), rating: $("search-rating").value.trim() };
}

export function wire() {
  $("search-state").append(...STATES.map((s) => el("option", { value: s }, s.replaceAll("_", " "))));
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearProblem();
    requests.search(filters()).catch((error) => showProblem(error, "Search"));
  });
  $("replay-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem();
    const topic = $("replay-topic").value;
    try {
      const answer = await intake.post("/v1/dead-letters/" + encodeURIComponent(topic) + "/replay", {});
      $("replay-result").textContent = "replayed " + answer.replayed + " dead letter(s) to " + answer.topic;
      notice("replay done");
    } catch (error) { showProblem(error, "Replay"); }
    await refresh().catch(() => {});
  });
}
