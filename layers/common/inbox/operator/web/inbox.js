// The operator's inbox: log in, list conversations, read and answer one, search, export, kept
// bodies and the setup. Data only from this origin's JSON API; new messages appear by polling
// every few seconds while the tab is visible (no extra infrastructure).
import * as api from "./api.js";
import { $, el, show } from "./dom.js";
import { conversationEntry, messageEntry, searchEntry, setupView, unreadableEntry, windowText } from "./views.js";

const POLL_MS = 4000;
const KEYS = "inbox.replyKeys"; // messageId → Idempotency-Key, so a retry reuses the failed reply's key

const state = {
  rows: new Map(), // senderId → conversation row
  cursor: null,
  open: null, // senderId of the open conversation
  shown: "", // what the open thread last rendered (to re-render only on change)
  listed: "",
  view: "inbox",
  unreadableCursor: null,
  offline: false,
};

function status(text) {
  $("status").textContent = text || "";
}

function failure(error) {
  if (error instanceof api.SessionEnded) return;
  state.offline = !(error instanceof api.ApiError);
  status(state.offline ? "The inbox cannot be reached; retrying." : `Error: ${error.message}`);
}

// ---------------------------------------------------------------- login / logout

function showLogin(message) {
  for (const id of ["inbox-view", "search-view", "unreadable-view", "setup-view", "nav", "search-form", "logout"]) show($(id), false);
  show($("login-view"), true);
  $("login-error").textContent = message || "";
  state.rows.clear();
  state.open = null;
  state.listed = state.shown = "";
  $("conversations").replaceChildren();
  $("password").value = "";
  $("email").focus();
}

function showApp() {
  show($("login-view"), false);
  for (const id of ["nav", "search-form", "logout"]) show($(id), true);
  switchView("inbox");
  refresh();
}

api.session.onEnded = () => showLogin("Your session has ended. Log in again.");

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    await api.login($("email").value, $("password").value);
    $("password").value = "";
    showApp();
  } catch (error) {
    $("login-error").textContent =
      error instanceof api.ApiError && error.status === 401 ? "Wrong email or password." : `Cannot log in: ${error.message}`;
  }
});

$("logout").addEventListener("click", () => {
  api.session.token = null;
  sessionStorage.removeItem(KEYS);
  status("");
  showLogin("You are logged out.");
});

// ---------------------------------------------------------------- views

function switchView(view) {
  state.view = view;
  show($("inbox-view"), view === "inbox");
  show($("search-view"), view === "search");
  show($("unreadable-view"), view === "unreadable");
  show($("setup-view"), view === "setup");
  for (const button of $("nav").querySelectorAll("button")) {
    if (button.dataset.view === view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (view === "unreadable") loadUnreadable(true);
  if (view === "setup") api.config().then((config) => setupView($("setup"), config), failure);
}

$("nav").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-view]");
  if (button) switchView(button.dataset.view);
});

// ---------------------------------------------------------------- conversations

function sortedRows() {
  return [...state.rows.values()].sort((a, b) => String(b.lastMessageAt || "").localeCompare(String(a.lastMessageAt || "")));
}

function renderList() {
  const rows = sortedRows();
  const signature = JSON.stringify([rows, state.open]);
  if (signature === state.listed) return;
  state.listed = signature;
  $("conversations").replaceChildren(
    ...rows.map((row) => conversationEntry(row, { current: row.senderId === state.open, onOpen: () => openThread(row.senderId) })),
  );
  show($("list-empty"), rows.length === 0);
  show($("more"), state.cursor !== null);
  if (state.open) renderWindow(state.rows.get(state.open));
}

async function loadConversations(more) {
  const page = await api.conversations(more ? state.cursor : null);
  for (const row of page.conversations) state.rows.set(row.senderId, row);
  if (more || state.rows.size <= page.conversations.length) state.cursor = page.nextCursor;
  renderList();
}

$("more").addEventListener("click", () => loadConversations(true).catch(failure));

// ---------------------------------------------------------------- one conversation

function replyKeys() {
  try {
    return JSON.parse(sessionStorage.getItem(KEYS) || "{}");
  } catch {
    return {};
  }
}

function rememberKey(messageId, key) {
  const keys = replyKeys();
  keys[messageId] = key;
  sessionStorage.setItem(KEYS, JSON.stringify(keys));
}

function renderWindow(row) {
  const open = Boolean(row && row.replyWindow && row.replyWindow.open);
  $("thread-window").textContent = row ? windowText(row.replyWindow) : "";
  $("reply").disabled = !open;
  $("send").disabled = !open;
  $("reply-note").textContent = open ? "Enter sends; Shift+Enter starts a new line." : row ? windowText(row.replyWindow) : "";
}

async function openThread(senderId) {
  state.open = senderId;
  state.shown = "";
  const row = state.rows.get(senderId);
  $("thread-title").textContent = row && row.username ? `@${row.username}` : senderId;
  show($("thread-body"), true);
  $("inbox-view").classList.add("reading");
  if (state.view !== "inbox") switchView("inbox");
  renderList();
  renderWindow(row);
  $("messages").replaceChildren();
  await loadThread(true).catch(failure);
}

async function loadThread(scroll) {
  const senderId = state.open;
  if (!senderId) return;
  const page = await api.messages(senderId);
  if (senderId !== state.open) return;
  const items = page.messages.slice().reverse();
  const signature = JSON.stringify(items);
  if (signature === state.shown) return;
  state.shown = signature;
  const list = $("messages");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
  list.replaceChildren(
    ...items.map((message) => {
      const entry = messageEntry(message, { onRetry: () => retry(message, entry) });
      return entry;
    }),
  );
  if (scroll || atBottom) list.scrollTop = list.scrollHeight;
}

$("back").addEventListener("click", () => {
  $("inbox-view").classList.remove("reading");
  const current = $("conversations").querySelector("[aria-current]");
  if (current) current.focus();
});

async function send(text, key, pending) {
  const senderId = state.open;
  $("send").disabled = true;
  status("Sending…");
  const sending = { direction: "outbound", status: "sending", text, timestamp: new Date().toISOString(), source: "operator", attachments: [] };
  if (pending) pending.replaceWith(messageEntry(sending, {}));
  else $("messages").append(messageEntry(sending, {}));
  $("messages").scrollTop = $("messages").scrollHeight;
  try {
    const answer = await api.reply(senderId, text, key);
    rememberKey(answer.reply.messageId, key);
    status("Sent.");
    return true;
  } catch (error) {
    if (error instanceof api.ApiError && error.body && error.body.reply) {
      rememberKey(error.body.reply.messageId, key);
      status(`Not sent: ${error.message}`);
    } else failure(error);
    return false;
  } finally {
    state.shown = ""; // the pending entry is replaced by what the API now says
    await Promise.all([loadThread(true), loadConversations(false)]).catch(failure);
    if (senderId === state.open) renderWindow(state.rows.get(senderId));
  }
}

async function retry(message, entry) {
  const key = replyKeys()[message.messageId] || crypto.randomUUID();
  await send(message.text, key, entry);
}

$("reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("reply").value;
  if (!text.trim() || !state.open) return;
  $("reply").value = "";
  const sent = await send(text, crypto.randomUUID());
  if (!sent && !$("reply").value) $("reply").value = text;
});

$("reply").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("reply-form").requestSubmit();
  }
});

$("export-csv").addEventListener("click", () => api.download(state.open, "csv").catch(failure));
$("export-json").addEventListener("click", () => api.download(state.open, "json").catch(failure));

// ---------------------------------------------------------------- search

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = $("search").value.trim();
  if (!q) return;
  switchView("search");
  $("search-note").textContent = "Searching…";
  $("search-results").replaceChildren();
  try {
    const found = await api.search(q);
    const scope = found.search && found.search.scanned !== undefined ? ` (searched the ${found.search.scanned} most recent messages)` : "";
    $("search-note").textContent = `${found.count} message${found.count === 1 ? "" : "s"} found for “${q}”${scope}.`;
    $("search-results").replaceChildren(
      ...found.messages.map((message) => searchEntry(message, { onOpen: () => openFromSearch(message) })),
    );
  } catch (error) {
    $("search-note").textContent = "";
    failure(error);
  }
});

function openFromSearch(message) {
  if (!state.rows.has(message.senderId)) {
    state.rows.set(message.senderId, { senderId: message.senderId, username: message.username, lastMessageAt: message.timestamp, lastMessage: message, replyWindow: null });
  }
  openThread(message.senderId);
}

// ---------------------------------------------------------------- unreadable bodies

async function loadUnreadable(first) {
  try {
    const page = await api.unreadable(first ? null : state.unreadableCursor);
    state.unreadableCursor = page.nextCursor;
    const entries = page.bodies.map((body) => {
      const entry = unreadableEntry(body, { onReplay: () => replay(body.id, entry) });
      return entry;
    });
    if (first) $("unreadable").replaceChildren(...entries);
    else $("unreadable").append(...entries);
    if (first && entries.length === 0) $("unreadable").append(el("li", {}, "Nothing unreadable. Every delivery was understood."));
    show($("unreadable-more"), Boolean(page.nextCursor));
  } catch (error) {
    failure(error);
  }
}

async function replay(id, entry) {
  const outcome = entry.querySelector(".outcome");
  try {
    const answer = await api.replay(id);
    outcome.textContent = `Replayed: ${answer.status}, ${answer.messages.length} message(s).`;
    loadConversations(false).catch(failure);
  } catch (error) {
    outcome.textContent = error instanceof api.ApiError ? `Still unreadable: ${error.message}` : "";
    failure(error);
  }
}

$("unreadable-more").addEventListener("click", () => loadUnreadable(false));

// ---------------------------------------------------------------- live updates

async function refresh() {
  if (!api.session.token) return;
  try {
    await loadConversations(false);
    await loadThread(false);
    if (state.offline) status("");
    state.offline = false;
  } catch (error) {
    failure(error);
  }
}

setInterval(() => {
  if (document.visibilityState === "visible" && api.session.token && state.view === "inbox") refresh();
}, POLL_MS);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh();
});

if (api.session.token) showApp();
else showLogin("");
