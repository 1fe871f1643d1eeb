// Calls to intake's and the notifier's public HTTP API with the signed-in credential; every
// refusal becomes an ApiError carrying the problem+json answer (title, detail, errors).
const CONFIG = JSON.parse(document.querySelector('meta[name="sosa-config"]').content || "{}");
export const NOTIFIER = (CONFIG.notifierUrl || "").replace(/\/$/, "");
const KEY = "sosa.key";

export function credential() { return sessionStorage.getItem(KEY) || ""; }
export function signIn(value) { sessionStorage.setItem(KEY, value); }
export function signOut() { sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || "HTTP " + status);
    this.status = status;
    this.problem = problem;
  }
}

async function call(base, method, path, body) {
  const headers = { Authorization: "Bearer " + credential() };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(base + path, init);
  if (response.status === 204) return null;
  const kind = response.headers.get("content-type") || "";
  const answer = kind.includes("json") ? await response.json() : { detail: await response.text() };
  if (!response.ok) throw new ApiError(response.status, { status: response.status, ...answer });
  return answer;
}

export const intake = {
  get: (path) => call("", "GET", path),
  post: (path, body) => call("", "POST", path, body),
};
export const notifier = {
  get: (path) => call(NOTIFIER, "GET", path),
  post: (path, body) => call(NOTIFIER, "POST", path, body),
  patch: (path, body) => call(NOTIFIER, "PATCH", path, body),
  delete: (path) => call(NOTIFIER, "DELETE", path),
};

// A command is stored (202) and then decided by the router: poll its status, less often as time
// passes, until the router has decided or `stillWanted()` says the page moved on. A slow router
// (catching up after a restart, say) only makes the wait longer; the answer is never dropped.
export async function decided(accepted, stillWanted = () => true) {
  const path = "/v1/priority-requests/" + encodeURIComponent(accepted.request_id) + "/commands/" +
    encodeURIComponent(accepted.command_id);
  for (let pause = 300; ; pause = Math.min(pause * 1.5, 3000)) {
    const status = await intake.get(path);
    if (status.status !== "pending" || !stillWanted()) return status;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
