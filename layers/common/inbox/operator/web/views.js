// What each piece of data looks like on the page. Everything a customer controls (text,
// username, URLs, kept bodies) goes through dom.js as text or as a checked http(s) URL.
import { el, formatTime, link, safeUrl, time } from "./dom.js";

function who(row) {
  return row.username ? `@${row.username}` : row.senderId;
}

function preview(last) {
  if (!last) return "";
  const prefix = last.direction === "outbound" ? "You: " : "";
  if (last.text) return prefix + last.text;
  const count = Number(last.attachments) || 0;
  return prefix + (count === 1 ? "[1 attachment]" : `[${count} attachments]`);
}

/** "Reply window open until …" / "Reply window closed". */
export function windowText(replyWindow) {
  if (!replyWindow || !replyWindow.until) return "No message from the customer yet: replies are not possible.";
  const when = formatTime(replyWindow.until) || replyWindow.until;
  return replyWindow.open
    ? `Reply window open until ${when}`
    : `Reply window closed since ${when}: Instagram allows answers only within 24 hours of the customer's last message.`;
}

export function conversationEntry(row, { current, onOpen }) {
  const open = Boolean(row.replyWindow && row.replyWindow.open);
  return el(
    "li",
    {},
    el(
      "button",
      { type: "button", class: "conversation", "aria-current": current ? "true" : null, onclick: onOpen },
      el("span", { class: "who" }, who(row)),
      el("span", { class: "when" }, time(row.lastMessageAt)),
      el("span", { class: "preview" }, preview(row.lastMessage)),
      el(
        "span",
        { class: "badges" },
        row.unanswered ? el("span", { class: "badge unanswered" }, "Unanswered") : null,
        el(
          "span",
          { class: `badge ${open ? "open" : "closed"}` },
          open ? `Window open until ${formatTime(row.replyWindow.until)}` : "Window closed",
        ),
      ),
    ),
  );
}

export function searchEntry(message, { onOpen }) {
  return el(
    "li",
    {},
    el(
      "button",
      { type: "button", class: "conversation", onclick: onOpen },
      el("span", { class: "who" }, message.username ? `@${message.username}` : message.senderId),
      el("span", { class: "when" }, time(message.timestamp)),
      el("span", { class: "preview" }, preview({ ...message, attachments: message.attachments.length })),
    ),
  );
}

const PLAYERS = { video: "video", audio: "audio" };
const STORY = new Set(["story_mention", "story_reply", "story"]);

function attachment(item) {
  const url = safeUrl(item.url);
  const type = String(item.type || "file");
  if (url === null) return el("p", { class: "attachment bad-url" }, `${type} attachment (not an http(s) link)`);
  if (type === "image" || type === "sticker" || type === "animated_image") {
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "attachment" },
      el("img", { src: url, alt: `${type} from the customer`, loading: "lazy", referrerpolicy: "no-referrer" }));
  }
  if (PLAYERS[type]) {
    return el(PLAYERS[type], { src: url, controls: true, preload: "none", class: "attachment", "aria-label": `${type} from the customer` });
  }
  const label = STORY.has(type) ? `Story (${type.replace("_", " ")})` : type === "share" || type === "ig_post" || type === "ig_reel" || type === "reel" ? `Shared post (${type})` : `${type} attachment`;
  return el("p", { class: "attachment" }, link(url, label));
}

const STATES = {
  sending: "Sending…",
  sent: "Sent",
  failed: "Failed",
  unknown: "Unknown (not retried: it may have reached the customer)",
};

function reactions(message) {
  const list = Array.isArray(message.reactions) ? message.reactions : [];
  if (!list.length) return null;
  return el("p", { class: "reactions", "aria-label": "Reactions" },
    list.map((r) => el("span", { class: "reaction", title: r.reaction || "" }, r.emoji || r.reaction || "♥")));
}

export function messageEntry(message, { onRetry }) {
  const outbound = message.direction === "outbound";
  const status = message.status || null;
  return el(
    "li",
    { class: `message ${outbound ? "outbound" : "inbound"}` },
    el(
      "p",
      { class: "meta" },
      el("span", { class: "direction" }, outbound ? "You" : "Customer"),
      " · ",
      time(message.timestamp),
      " · ",
      el("span", { class: "source" }, `via ${message.source}`),
    ),
    message.text ? el("p", { class: "text" }, message.text) : null,
    (message.attachments || []).map(attachment),
    reactions(message),
    outbound && status
      ? el(
          "p",
          { class: `state state-${status}` },
          STATES[status] || status,
          (status === "failed" || status === "unknown") && message.error ? `: ${message.error}` : "",
          status === "failed" ? el("button", { type: "button", class: "retry", onclick: onRetry }, "Retry") : null,
        )
      : null,
  );
}

export function unreadableEntry(body, { onReplay }) {
  const content = body.body !== null && body.body !== undefined ? body.body : `(binary, base64) ${body.bodyBase64}`;
  return el(
    "li",
    { class: "kept" },
    el("p", { class: "meta" }, time(body.receivedAt), ` · ${body.reason} · ${body.mediaType} · ${body.size} bytes`),
    el("pre", { class: "raw" }, content),
    el("button", { type: "button", onclick: onReplay, disabled: body.truncated }, "Replay"),
    el("span", { class: "outcome", role: "status" }),
  );
}

function pairs(dl, entries) {
  for (const [name, value] of entries) {
    dl.append(el("dt", {}, name), el("dd", {}, value));
  }
}

const onOff = (value) => (value ? "on" : "off");

function tokenHealth(status) {
  const token = status && status.token;
  if (!token || !token.status) return "not checked yet (no poll round)";
  return `${token.status}${token.checkedAt ? ` (checked ${new Date(token.checkedAt).toLocaleString()})` : ""}${token.detail ? `: ${token.detail}` : ""}`;
}

export function setupView(dl, config) {
  dl.replaceChildren();
  const webhook = config.webhook || {};
  const polling = config.polling || {};
  const status = polling.status || null;
  const secrets = config.secrets || {};
  const pollState = polling.ready ? "ready" : polling.enabled ? `waiting for ${(polling.missing || []).join(", ")}` : "off";
  pairs(dl, [
    ["Webhook URL", webhook.url || "—"],
    ...Object.entries(webhook.checks || {}).map(([name, on]) => [`Check ${name}`, onOff(on)]),
    ["Chatrace account", config.accountId || "not set"],
    ["Polling", `${pollState}, every ${polling.intervalSeconds} s`],
    ["Last poll round", (status && status.lastRoundAt) || "none yet"],
    ["Last poll error", status && status.lastError ? `${status.lastError.reason} (${status.lastError.at})` : "none"],
    ["Chatrace token health", tokenHealth(status)],
    ...Object.entries(secrets).map(([name, value]) => [`Secret ${name}`, value && value.set ? "set" : "not set"]),
    ["Token lifetime", `${(config.auth && config.auth.tokenLifetimeSeconds) || "?"} s`],
    ["Field map entries", String(Object.keys(config.fieldMap || {}).length)],
  ]);
}
