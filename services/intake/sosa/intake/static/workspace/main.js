// The party workspace: sign in with an API key or a bearer token (kept in this tab's
// sessionStorage, never in the URL), then one tab per thing the viewer's roles do. Everything
// goes through intake's and the notifier's public HTTP API.
import { credential, intake, signIn, signOut } from "./api.js";
import { $, clearProblem, el, notice, showProblem } from "./show.js";
import * as requests from "./requests.js";
import * as webhooks from "./webhooks.js";
import * as operations from "./operations.js";

const TABS = [
  { id: "answer", label: "To answer", role: "supplier", refresh: requests.refreshAnswerQueue },
  { id: "requests", label: "My requests", role: "requester", refresh: requests.refreshRequesterList },
  { id: "determine", label: "Determinations", role: "determination_authority",
    refresh: () => requests.refreshAuthorityQueue("awaiting_determination", "determine-list", "determine-count") },
  { id: "authorize", label: "Authorizations", role: "rating_authority",
    refresh: () => requests.refreshAuthorityQueue("awaiting_authorization", "authorize-list", "authorize-count") },
  { id: "search", label: "Operations", role: "operator", refresh: operations.refresh },
  { id: "webhooks", label: "Webhooks", role: null, refresh: webhooks.refreshEndpoints },
];
let active = null;

function select(tab) {
  active = tab;
  for (const t of TABS) $("panel-" + t.id).hidden = t !== tab;
  for (const button of $("tabs").children) button.setAttribute("aria-selected", String(button.dataset.tab === tab.id));
  return refresh();
}

async function refresh() {
  if (!active) return;
  try { await active.refresh(); } catch (error) { showProblem(error, "Reading " + active.label); }
}

async function start() {
  clearProblem();
  let me;
  try { me = await intake.get("/v1/me"); } catch (error) { showProblem(error, "Sign-in"); signOut(); return; }
  requests.setViewer(me);
  operations.setViewer(me);
  $("viewer").textContent = me.party_id + " · " + me.roles.join(", ");
  $("viewer").dataset.party = me.party_id;
  notice("");  // the sign-in hint no longer applies
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  const mine = TABS.filter((t) => t.role === null || me.roles.includes(t.role));
  $("tabs").replaceChildren(...mine.map((t) => el("button", { type: "button", dataset: { tab: t.id }, onclick: () => select(t) }, t.label)));
  $("tabs").hidden = false;
  await select(mine[0]);
}

$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("key").value.trim();
  if (!value) return;
  signIn(value);
  $("key").value = "";
  start();
});
$("sign-out").addEventListener("click", () => { signOut(); location.reload(); });
$("detail-close").addEventListener("click", () => requests.close());
document.addEventListener("sosa:changed", () => { refresh(); });
webhooks.wire();
operations.wire();
setInterval(() => { if (credential() && document.visibilityState === "visible") refresh(); }, 10000);
if (credential()) start();
else notice("Paste your party's API key (or a bearer token) to sign in.");
