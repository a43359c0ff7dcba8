// The ledger: the trial balance with every invariant as passing or failing,
// what waits for someone, and the seal chain's head to copy elsewhere.

import { ApiProblem, request } from "../api.js";
import { badge, facts, fill, h, section, table } from "../dom.js";
import { count, money, when, words } from "../format.js";

export const title = "Ledger";

export async function render(main) {
  fill(main, h("h1", {}, title), h("p", { class: "loading" }, "Checking every invariant…"));
  const [report, head] = await Promise.all([
    request("GET", "/operator/ledger/trial-balance"),
    request("GET", "/operator/ledger/seal-head").catch((err) => {
      if (err instanceof ApiProblem && err.code === "no_seal_yet") return null;
      throw err;
    }),
  ]);
  const failing = new Set(report.violations.map((v) => v.invariant));
  fill(
    main,
    h("h1", {}, title),
    h(
      "p",
      { class: report.ok ? "agree" : "disagree", role: "status" },
      report.ok ? badge("balanced", "ok") : badge(`${report.violations.length} violations`, "bad"),
      ` ${count(report.entries)} journal entries, ${count(report.sealed_entries)} sealed; postings sum to ${report.postings_total}.`,
    ),
    section(
      "Invariants",
      h(
        "ul",
        { class: "invariants" },
        report.invariants.map((name) =>
          h(
            "li",
            { class: failing.has(name) ? "bad" : null },
            h("code", {}, name),
            failing.has(name) ? badge("failing", "bad") : badge("passing", "ok"),
          ),
        ),
      ),
    ),
    report.violations.length
      ? section(
          "Violations",
          table(
            [
              ["Invariant", (v) => v.invariant],
              ["Subject", (v) => v.subject],
              ["Expected", (v) => count(v.expected)],
              ["Actual", (v) => count(v.actual)],
              ["Detail", (v) => v.detail],
            ],
            report.violations,
            () => "bad",
          ),
        )
      : null,
    section(
      "Balances by account kind",
      table(
        [
          ["Kind", (a) => words(a.kind)],
          ["Accounts", (a) => count(a.accounts)],
          ["Balance", (a) => money(a.balance)],
        ],
        report.accounts_by_kind,
      ),
    ),
    section(
      "Open items",
      table(
        [
          ["What", (i) => words(i.kind)],
          ["Count", (i) => count(i.count)],
          ["Amount", (i) => money(i.amount)],
        ],
        report.open_items,
      ),
    ),
    section(
      "Seal head",
      head
        ? h(
            "div",
            {},
            facts([
              ["Sequence", count(head.seq)],
              ["Hash", h("code", { class: "hash" }, head.hash)],
              ["Sealed", when(head.sealed_at)],
              ["Entries covered", count(head.entries_sealed)],
            ]),
            h("p", { class: "hint" }, "Keep a copy outside the database; crowdfund verify-ledger --expect-head <hash> checks the chain still holds it."),
          )
        : h("p", { class: "empty" }, "Nothing has been sealed yet."),
    ),
  );
}
