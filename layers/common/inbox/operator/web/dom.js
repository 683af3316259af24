// Building the page's elements safely: every value is inserted as text (createTextNode,
// textContent, setAttribute); nothing is ever parsed as HTML (and the page's CSP requires
// Trusted Types, so assigning a string to any HTML sink would throw). URLs pass safeUrl first.

/** An http(s) URL as an absolute string, or null (javascript:, data:, relative, garbage). */
export function safeUrl(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** el("li", {class: "x", "aria-label": "y"}, "text", child, …); null/false children are skipped. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "href" || name === "src") {
      const url = safeUrl(value);
      if (url !== null) node.setAttribute(name, url);
    } else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A link out of the inbox: http(s) only, a new tab, and neither the opener nor the referrer. */
export function link(url, label) {
  const href = safeUrl(url);
  if (href === null) return el("span", { class: "bad-url" }, label, " (link not shown: not http(s))");
  return el("a", { href, target: "_blank", rel: "noopener noreferrer" }, label);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A stored time as the operator's local date and time ("" when missing or unreadable). */
export function formatTime(stamp) {
  const date = new Date(stamp);
  return stamp && !Number.isNaN(date.getTime()) ? timeFormat.format(date) : "";
}

/** <time datetime="…">local time</time>, or an empty string for a missing or unreadable time. */
export function time(stamp) {
  if (!stamp) return "";
  const date = new Date(stamp);
  if (Number.isNaN(date.getTime())) return String(stamp);
  return el("time", { datetime: date.toISOString() }, timeFormat.format(date));
}

export function show(node, visible) {
  node.hidden = !visible;
}

export function $(id) {
  return document.getElementById(id);
}
