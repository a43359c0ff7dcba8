// The console's client of the public JSON API. The tokens live in this
// module's memory only (never localStorage, sessionStorage or a cookie): a
// reload or a closed tab signs the operator out.

const API = "/api/v1";

// { access, refresh, user, timer } while signed in.
let session = null;
// The one refresh in flight, shared by every request that needs it.
let refreshing = null;
let onEnded = () => {};

/** A refusal or failure, with the API's readable `detail` as its message. */
export class ApiProblem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `The server answered ${status}.`);
    this.status = status;
    this.code = body.code || "";
    this.body = body;
  }
}

/** Called with a message when the session ends without the operator asking. */
export function whenSessionEnds(callback) {
  onEnded = callback;
}

export function currentUser() {
  return session && session.user;
}

export async function signIn(email, password) {
  const pair = await send("POST", "/auth/login", { body: { email, password }, auth: false });
  adopt(pair);
  let me;
  try {
    me = await request("GET", "/me");
  } catch (err) {
    // Signed in but unknown: leave nothing behind.
    await signOut();
    throw err;
  }
  if (me.role !== "operator") {
    await signOut();
    throw new ApiProblem(403, {
      code: "not_an_operator",
      detail: "This console is for operators. Investors and sponsors use the crowdfund apps.",
    });
  }
  session.user = me;
  return me;
}

export async function signOut() {
  const ending = session;
  forget();
  if (ending) {
    try {
      await send("POST", "/auth/logout", { body: { refresh_token: ending.refresh }, auth: false });
    } catch {
      // The tokens are gone from this page either way.
    }
  }
}

function adopt(pair) {
  if (session && session.timer) clearTimeout(session.timer);
  const user = session ? session.user : null;
  session = { access: pair.access_token, refresh: pair.refresh_token, user, timer: null };
  // Renew a little before the access token expires, so requests rarely
  // meet an expired one.
  renewIn(Math.max(5, pair.expires_in - 30) * 1000);
}

function renewIn(ms) {
  const current = session;
  if (current.timer) clearTimeout(current.timer);
  current.timer = setTimeout(() => refresh().catch(() => {}), ms);
}

function forget() {
  if (session && session.timer) clearTimeout(session.timer);
  session = null;
  refreshing = null;
}

function end(message) {
  forget();
  onEnded(message);
}

/** A refusal of the request itself (not a failure to answer it). */
export function isRefusal(err) {
  return err instanceof ApiProblem && err.status >= 400 && err.status < 500 && err.status !== 429;
}

async function refresh() {
  if (!session) throw new ApiProblem(401, { detail: "You are signed out." });
  if (!refreshing) {
    // The session this refresh belongs to: if it ends meanwhile (signed
    // out), the answer is dropped rather than bringing it back.
    const current = session;
    const attempt = send("POST", "/auth/refresh", { body: { refresh_token: current.refresh }, auth: false })
      .then((pair) => {
        if (session === current) adopt(pair);
      })
      .catch((err) => {
        if (session !== current) throw err;
        if (isRefusal(err)) {
          // The refresh token was refused: the session is over.
          end("Your session ended. Sign in again.");
        } else {
          // Unreachable, overloaded or failing: the access token may still
          // work; try again shortly.
          renewIn(10000);
        }
        throw err;
      })
      .finally(() => {
        if (refreshing === attempt) refreshing = null;
      });
    refreshing = attempt;
  }
  return refreshing;
}

/**
 * A call to the API as the signed-in operator: JSON in and out unless told
 * otherwise. Options: `body` (JSON), `csv` (a text/csv body), `key` (an
 * Idempotency-Key), `accept` (a media type: the answer is then a Blob),
 * `query` (object).
 */
export async function request(method, path, options = {}) {
  if (refreshing) await refreshing.catch(() => {});
  try {
    return await send(method, path, options);
  } catch (err) {
    if (err instanceof ApiProblem && err.status === 401 && session && options.auth !== false) {
      if (err.code === "token_expired") {
        await refresh();
        return send(method, path, options);
      }
      end("Your session ended. Sign in again.");
    }
    throw err;
  }
}

async function send(method, path, options) {
  const headers = { Accept: options.accept || "application/json" };
  let body;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  } else if (options.csv !== undefined) {
    headers["Content-Type"] = "text/csv";
    body = options.csv;
  }
  if (options.key) headers["Idempotency-Key"] = options.key;
  if (options.auth !== false && session) headers.Authorization = `Bearer ${session.access}`;
  let response;
  try {
    response = await fetch(API + path + queryString(options.query), { method, headers, body });
  } catch {
    throw new ApiProblem(0, { detail: "The server could not be reached. Check the connection and try again." });
  }
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204) return null;
  if (options.accept) return response.blob();
  return response.json();
}

async function problemOf(response) {
  try {
    return new ApiProblem(response.status, await response.json());
  } catch {
    return new ApiProblem(response.status, {});
  }
}

function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A fresh Idempotency-Key: one per action the operator means to take. */
function newKey() {
  // getRandomValues, unlike randomUUID, works on plain http too.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The Idempotency-Keys of one dialog's action: the same key while the
 * request is the same and its outcome unknown (a double click or a retry
 * after a lost answer acts once); a new key when the operator changed what
 * to do, or after the server refused the request (a refusal changed
 * nothing, and the old key would only replay it).
 */
export function actionKeys() {
  let last = null;
  let key = null;
  return {
    key(body) {
      const text = JSON.stringify(body === undefined ? null : body);
      if (text !== last || key === null) {
        last = text;
        key = newKey();
      }
      return key;
    },
    answered(err) {
      if (isRefusal(err) && err.code !== "idempotency_in_progress") key = null;
    },
  };
}
