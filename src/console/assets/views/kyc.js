// KYC reviews: each pending profile with the figures it declares beside the
// figures last approved, so the reviewer sees exactly what changed.

import { request } from "../api.js";
import { badge, decision, facts, fill, h, pagedList, section } from "../dom.js";
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
  const path = `/operator/investors/${encodeURIComponent(item.investor_id)}/kyc`;
  const decide = async (verdict, reason) => {
    await request("POST", path, { body: { decision: verdict, submitted_at: item.submitted_at, reason } });
    return `${item.legal_name} (${item.email}): ${verdict}.`;
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
    decision({
      reader: "investor",
      maxlength: 1000,
      approve: () => decide("approved"),
      reject: (reason) => decide("rejected", reason),
      status,
      done,
    }),
  );
  return card;
}
