// Building the page from data: elements, tables, paged lists and dialogs.
// Text always goes in as text (never as HTML), so nothing the API returns
// can become markup.

import { ApiProblem, request } from "./api.js";

/**
 * h("button", { class: "primary", onclick: f, disabled: true }, "Settle")
 * Children: strings, numbers, elements, arrays of them, or null (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Empties `el` and puts `children` in it. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A readable message for any failure: the API's `detail`, never raw JSON. */
function problemText(err) {
  if (err instanceof ApiProblem) return err.message;
  return "Something went wrong in the console. Reload the page and try again.";
}

export function alertBox(err) {
  return h("p", { class: "problem", role: "alert" }, problemText(err));
}

export function notice(text) {
  return h("p", { class: "notice", role: "status" }, text);
}

/** A definition list of [label, value] pairs. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(Boolean).map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]),
  );
}

/** A table: `columns` are [heading, row => cell] pairs. */
export function table(columns, rows, rowClass = () => null) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, columns.map(([heading]) => h("th", { scope: "col" }, heading)))),
    h(
      "tbody",
      {},
      rows.map((row) => h("tr", { class: rowClass(row) }, columns.map(([, cell]) => h("td", {}, cell(row))))),
    ),
  );
}

/**
 * A list read page by page with the API's cursors. `load(cursor)` returns a
 * page ({items, next_cursor}); `show(items)` returns what to display.
 * Returns { element, reload }.
 */
export function pagedList(load, show, empty = "Nothing here.") {
  const element = h("div", { class: "paged", tabindex: "-1" });
  const busy = h("p", { class: "loading" }, "Loading…");
  fill(element, busy);
  // The cursors of the pages before the one shown.
  let trail = [];
  let cursor = null;
  // Only the newest load may draw: an older answer arriving late (a poll
  // racing a click) is dropped.
  let newest = 0;

  async function render(focus = false) {
    const mine = ++newest;
    element.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await load(cursor);
    } catch (err) {
      if (mine === newest) {
        element.removeAttribute("aria-busy");
        fill(element, alertBox(err));
      }
      return;
    }
    if (mine !== newest) return;
    element.removeAttribute("aria-busy");
    const previous = h("button", { type: "button", class: "quiet", disabled: trail.length === 0 }, "← Previous page");
    const next = h("button", { type: "button", class: "quiet", disabled: !page.next_cursor }, "Next page →");
    previous.addEventListener("click", () => {
      cursor = trail.pop() ?? null;
      render(true);
    });
    next.addEventListener("click", () => {
      trail.push(cursor);
      cursor = page.next_cursor;
      render(true);
    });
    fill(
      element,
      page.items.length ? show(page.items) : h("p", { class: "empty" }, empty),
      trail.length || page.next_cursor ? h("div", { class: "pager" }, previous, next) : null,
    );
    if (focus) element.focus();
  }

  render();
  return {
    element,
    reload: () => {
      trail = [];
      cursor = null;
      return render();
    },
    refresh: () => render(),
  };
}

/**
 * A modal dialog. `body` is what the operator reads before deciding;
 * `confirm` is the label of the action; `act()` performs it and returns
 * what to show afterwards (or throws an ApiProblem, shown in the dialog).
 * The action button is disabled from the first click until the answer, so a
 * double click acts once; while the action runs the dialog cannot be closed.
 * `keys` (api.actionKeys) learns each failure, so that a retry reuses the
 * Idempotency-Key only when the outcome is unknown.
 */
export function openDialog({ title, body, confirm, act, keys = null, danger = false, ready = true }) {
  const message = h("div", { class: "dialog-message" });
  const go = h("button", { type: "button", class: danger ? "danger" : "primary", disabled: !ready }, confirm);
  const cancel = h("button", { type: "button", class: "quiet" }, "Cancel");
  const dialog = h(
    "dialog",
    { "aria-label": title },
    h("h2", {}, title),
    body,
    message,
    h("div", { class: "actions" }, cancel, go),
  );
  let running = false;
  dialog.addEventListener("close", () => dialog.remove());
  // Esc closes a dialog, but not while its action runs.
  dialog.addEventListener("cancel", (event) => {
    if (running) event.preventDefault();
  });
  cancel.addEventListener("click", () => dialog.close("cancel"));
  go.addEventListener("click", async () => {
    if (go.disabled) return;
    go.disabled = true;
    cancel.disabled = true;
    running = true;
    fill(message, h("p", { class: "loading" }, "Working…"));
    try {
      const result = await act();
      fill(message, result || notice("Done."));
      fill(dialog.querySelector(".actions"), h("button", { type: "button", class: "primary", onclick: () => dialog.close("done") }, "Close"));
      dialog.querySelector(".actions button").focus();
    } catch (err) {
      if (keys) keys.answered(err);
      fill(message, alertBox(err));
      go.disabled = false;
      cancel.disabled = false;
    } finally {
      running = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  return {
    enable: (on) => {
      go.disabled = !on;
    },
  };
}

/** Closes every open dialog (the page it belonged to is gone). */
export function closeDialogs() {
  for (const dialog of document.querySelectorAll("dialog")) dialog.close("gone");
}

/**
 * Approve / reject with a reason, for a review queue's card. `approve()`
 * and `reject(reason)` perform the decision and return the notice to show
 * in `status`; `reader` is who reads the reason. Then `done()` (the queue
 * reloads).
 */
export function decision({ reader, maxlength, approve, reject, status, done }) {
  const reason = h("textarea", { rows: 2, maxlength });
  const out = h("div");
  const approveButton = h("button", { type: "button", class: "primary" }, "Approve");
  const rejectButton = h("button", { type: "button", class: "danger" }, "Reject");
  const decide = async (act) => {
    approveButton.disabled = true;
    rejectButton.disabled = true;
    try {
      fill(status, notice(await act()));
      done();
    } catch (err) {
      fill(out, alertBox(err));
      approveButton.disabled = false;
      rejectButton.disabled = false;
    }
  };
  approveButton.addEventListener("click", () => decide(approve));
  rejectButton.addEventListener("click", () => {
    const text = reason.value.trim();
    if (!text) {
      fill(out, h("p", { class: "problem", role: "alert" }, `A rejection needs a reason the ${reader} will read.`));
      reason.focus();
      return;
    }
    decide(() => reject(text));
  });
  return h(
    "div",
    { class: "decision" },
    field(`Reason (required to reject; the ${reader} reads it)`, reason),
    h("div", { class: "actions" }, approveButton, rejectButton),
    out,
  );
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = `f-${Math.random().toString(36).slice(2, 10)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", {}, hint) : null);
}

export function section(title, ...children) {
  return h("section", {}, h("h2", {}, title), children);
}

/** An identifier: monospaced, and allowed to wrap anywhere in a narrow cell. */
export function ident(text) {
  return h("code", { class: "id" }, text);
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

/**
 * Fetches `path` as the signed-in operator and hands it to the browser as a
 * download named `name` (the API needs the bearer token, so a plain link
 * would not do).
 */
export async function download(path, name, accept) {
  save(await request("GET", path, { accept }), name);
}

/** Downloads a same-origin URL that carries its own authority (a signed link). */
export async function downloadUrl(url, name) {
  let response;
  try {
    response = await fetch(url);
  } catch {
    throw new ApiProblem(0, { detail: "The server could not be reached. Check the connection and try again." });
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new ApiProblem(response.status, body);
  }
  save(await response.blob(), name);
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
