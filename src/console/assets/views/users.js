// Users: find an account by email, see its state, and disable, enable or
// sign it out, each with the reason the audit log keeps.

import { ApiProblem, request } from "../api.js";
import { badge, field, fill, h, notice, openDialog, pagedList, section, table } from "../dom.js";
import { when, words } from "../format.js";

export const title = "Users";

export function render(main) {
  const status = h("div", { "aria-live": "polite" });
  const email = h("input", { type: "search", maxlength: 200, placeholder: "part of an email" });
  const results = h("div");
  let list = null;
  const search = () => {
    const text = email.value.trim();
    list = pagedList(
      (cursor) => request("GET", "/operator/users", { query: { email: text, cursor, limit: 25 } }),
      (items) =>
        table(
          [
            ["Email", (u) => u.email],
            ["Name", (u) => u.display_name],
            ["Role", (u) => words(u.role)],
            ["Email verified", (u) => (u.email_verified ? "yes" : "no")],
            ["State", (u) => (u.disabled ? badge(`disabled ${when(u.disabled_at)}`, "bad") : badge("active", "ok"))],
            ["Since", (u) => when(u.created_at)],
            ["", (u) => actions(u, status, () => list.refresh())],
          ],
          items,
        ),
      "No account's email contains that.",
    );
    fill(results, list.element);
  };
  const form = h("form", { class: "search", role: "search" }, field("Email contains", email), h("button", { type: "submit", class: "primary" }, "Find"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  fill(main, h("h1", {}, title), status, form, section("Accounts", results));
  search();
  email.focus();
}

function actions(u, status, done) {
  const change = (verb, label, danger, path) => () => {
    const reason = h("textarea", { rows: 2, maxlength: 1000 });
    openDialog({
      title: `${label} ${u.email}`,
      body: h("div", {}, field("Reason (kept in the audit log)", reason)),
      confirm: label,
      danger,
      act: async () => {
        const text = reason.value.trim();
        if (!text) throw new ApiProblem(0, { detail: "Give a reason: the audit log keeps it." });
        const r = await request("POST", `/operator/users/${encodeURIComponent(u.id)}/${path}`, { body: { reason: text } });
        fill(status, notice(`${u.email}: ${verb}; ${r.sessions_ended} session(s) ended.`));
        done();
        return notice(`${words(verb)}.`);
      },
    });
  };
  return h(
    "div",
    { class: "actions" },
    u.disabled
      ? h("button", { type: "button", onclick: change("enabled", "Enable", false, "enable") }, "Enable…")
      : h("button", { type: "button", class: "danger", onclick: change("disabled", "Disable", true, "disable") }, "Disable…"),
    h("button", { type: "button", onclick: change("signed out", "Sign out", false, "sign-out") }, "Sign out…"),
  );
}
