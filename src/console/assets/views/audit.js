// The audit log, newest first, filtered as the API allows.

import { request } from "../api.js";
import { field, fill, h, ident, pagedList, section, table } from "../dom.js";
import { when } from "../format.js";

export const title = "Audit log";

const FILTERS = [
  ["action", "Action", "e.g. offering.settled"],
  ["actor_id", "Actor id", ""],
  ["subject_type", "Subject type", "e.g. offering"],
  ["subject_id", "Subject id", ""],
];

export function render(main) {
  const inputs = Object.fromEntries(FILTERS.map(([name, , placeholder]) => [name, h("input", { type: "text", name, placeholder })]));
  const since = h("input", { type: "datetime-local", name: "since" });
  const until = h("input", { type: "datetime-local", name: "until" });
  const results = h("div");
  const search = () => {
    const query = { limit: 50 };
    for (const [name, input] of Object.entries(inputs)) query[name] = input.value.trim();
    // The browser's datetime-local has no zone: read as UTC, as shown.
    if (since.value) query.since = `${since.value}:00Z`;
    if (until.value) query.until = `${until.value}:00Z`;
    const list = pagedList(
      (cursor) => request("GET", "/operator/audit-log", { query: { ...query, cursor } }),
      (items) =>
        table(
          [
            ["At", (r) => h("span", { class: "at" }, when(r.at))],
            ["Action", (r) => r.action],
            ["Actor", (r) => [r.actor_role, r.actor_id ? [" ", ident(r.actor_id)] : null]],
            ["Subject", (r) => [r.subject_type, " ", ident(r.subject_id)]],
            ["Details", (r) => details(r.details)],
          ],
          items,
        ),
      "No record matches.",
    );
    fill(results, list.element);
  };
  const form = h(
    "form",
    { class: "filters", role: "search" },
    FILTERS.map(([name, label]) => field(label, inputs[name])),
    field("Since (UTC)", since),
    field("Until (UTC)", until),
    h("button", { type: "submit", class: "primary" }, "Filter"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  fill(main, h("h1", {}, title), form, section("Records", results));
  search();
}

/** The action's details as "name: value" lines. */
function details(object) {
  const entries = Object.entries(object || {});
  if (!entries.length) return "";
  return h(
    "dl",
    { class: "details" },
    entries.map(([name, value]) => [h("dt", {}, name), h("dd", { class: "id" }, typeof value === "object" && value !== null ? JSON.stringify(value) : String(value))]),
  );
}
