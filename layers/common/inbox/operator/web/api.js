// The JSON API, with the operator's token from sessionStorage (gone when the tab closes) sent as
// Authorization: Bearer. A 401 on any call means the token expired or is no longer valid.

const TOKEN_KEY = "inbox.token";

export class SessionEnded extends Error {}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  onEnded: () => {},
};

async function call(method, path, { body, headers = {}, raw = false } = {}) {
  const token = session.token;
  if (!token) throw new SessionEnded();
  const answer = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  if (answer.status === 401) {
    session.token = null;
    session.onEnded();
    throw new SessionEnded();
  }
  if (raw && answer.ok) return answer;
  const data = await answer.json().catch(() => null);
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

function query(path, params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

/** POST /auth/login; a wrong email or password is an ApiError with status 401. */
export async function login(email, password) {
  const answer = await fetch("/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const data = await answer.json().catch(() => null);
  if (!answer.ok) throw new ApiError(answer.status, data);
  session.token = data.accessToken;
}

// The first page (refreshed every few seconds) holds 50; More asks for the API's most, 100.
export const conversations = (cursor) =>
  call("GET", query("/instagram/conversations", { limit: cursor ? 100 : 50, cursor }));
export const messages = (senderId) => call("GET", query("/instagram/messages", { senderId, limit: 100 }));
export const search = (q) => call("GET", query("/instagram/messages", { q, limit: 50 }));
export const config = () => call("GET", "/instagram/config");
export const unreadable = (cursor) => call("GET", query("/instagram/unrecognized", { limit: 20, cursor }));
export const replay = (id) => call("POST", `/instagram/unrecognized/${encodeURIComponent(id)}/replay`);

export const reply = (senderId, text, key) =>
  call("POST", `/instagram/conversations/${encodeURIComponent(senderId)}/reply`, {
    body: { text },
    headers: { "Idempotency-Key": key },
  });

/** The export as a file download (fetched with the token, handed to the browser as a blob). */
export async function download(senderId, format) {
  const path = query(`/instagram/conversations/${encodeURIComponent(senderId)}/export`, { format });
  const answer = await call("GET", path, { raw: true });
  const blob = await answer.blob();
  const disposition = answer.headers.get("Content-Disposition") || "";
  const named = /filename="([^"]+)"/.exec(disposition);
  const anchor = document.createElement("a");
  anchor.href = URL.createObjectURL(blob);
  anchor.download = named ? named[1] : `conversation.${format}`;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(anchor.href), 10000);
}
