// KYC reviews: each pending profile with the figures it declares beside the
// figures last approved, so the reviewer sees exactly what changed.

import { request } from "../api.js";
import { alertBox, badge, facts, field, fill, h, notice, pagedList, section } from "../dom.js";
import { money, when } from "../format.js";

export const title = "KYC reviews";

const FIGURES = [
  ["Annual income", "annual_income", money],
  ["Net worth", "net_worth", money],
  ["Accredited", "accredited", (v) => (v ? "yes" : "no")],
  ["Invested elsewhere, 12 months", "external_investments_12m", money],
];

export function render(main) {
  const status = h("div", { "aria-live": "polite" });
  const list = pagedList(
    (cursor) => request("GET", "/operator/kyc", { query: { status: "pending", cursor, limit: 20 } }),
    (items) => items.map((item) => review(item, status, () => list.refresh())),
    "No profile waits for a review.",
  );
  fill(main, h("h1", {}, title), status, section("Pending", list.element));
}

function review(item, status, done) {
  const approved = item.approved;
  const rows = FIGURES.map(([label, key, show]) => {
    const changed = approved && approved[key] !== item[key];
    return h(
      "tr",
      { class: changed ? "changed" : null },
      h("th", { scope: "row" }, label),
      h("td", {}, show(item[key])),
      h("td", {}, approved ? show(approved[key]) : "—"),
      h("td", {}, changed ? badge("changed", "warn") : ""),
    );
  });
  const reason = h("textarea", { rows: 2, maxlength: 1000 });
  const out = h("div");
  const decide = async (decision) => {
    const body = { decision, submitted_at: item.submitted_at };
    if (decision === "rejected") {
      if (!reason.value.trim()) {
        fill(out, h("p", { class: "problem", role: "alert" }, "A rejection needs a reason the investor will read."));
        reason.focus();
        return;
      }
      body.reason = reason.value.trim();
    }
    for (const b of card.querySelectorAll("button")) b.disabled = true;
    try {
      await request("POST", `/operator/investors/${encodeURIComponent(item.investor_id)}/kyc`, { body });
      fill(status, notice(`${item.legal_name} (${item.email}): ${decision}.`));
      done();
    } catch (err) {
      fill(out, alertBox(err));
      for (const b of card.querySelectorAll("button")) b.disabled = false;
    }
  };
  const card = h(
    "article",
    { class: "card kyc", "data-investor": item.investor_id },
    h("h3", {}, item.legal_name, " ", h("small", {}, item.email)),
    facts([
      ["Country", item.country],
      ["Submitted", when(item.submitted_at)],
      ["Previous decision", item.kyc_reason ? `rejected: ${item.kyc_reason}` : approved ? "approved" : "none"],
    ]),
    h(
      "table",
      { class: "compare" },
      h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", { scope: "col" }, "Declared now"), h("th", { scope: "col" }, "Last approved"), h("th", {}, ""))),
      h("tbody", {}, rows),
    ),
    field("Reason (required to reject; the investor reads it)", reason),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: () => decide("approved") }, "Approve"),
      h("button", { type: "button", class: "danger", onclick: () => decide("rejected") }, "Reject"),
    ),
    out,
  );
  return card;
}
