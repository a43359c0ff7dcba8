// The reconciliation of one round: its summary figures, the discrepancies
// between the subscriptions and the ledger (highlighted; "none" when the
// books agree), the round's shape over time, every subscription line, and
// the CSV to file.

import { request } from "../api.js";
import { alertBox, badge, download, facts, fill, h, ident, section, table } from "../dom.js";
import { stepChart } from "../chart.js";
import { count, money, when, words } from "../format.js";

export const title = "Reconciliation";

const LINES_PER_PAGE = 50;

export async function render(main, ctx) {
  const id = ctx.args[0];
  if (!id) {
    fill(main, h("h1", {}, title), h("p", {}, "Open a round's reconciliation from Launches or Closing."));
    return;
  }
  fill(main, h("h1", {}, title), h("p", { class: "loading" }, "Reading the round's books…"));
  const path = `/operator/offerings/${encodeURIComponent(id)}/reconciliation`;
  const [report, offering] = await Promise.all([request("GET", path), request("GET", `/offerings/${encodeURIComponent(id)}`)]);
  const c = report.currency;
  const csv = h("button", { type: "button", class: "download" }, "Download CSV");
  const csvProblem = h("span");
  csv.addEventListener("click", () =>
    download(path, `reconciliation-${id}.csv`, "text/csv").catch((err) => fill(csvProblem, alertBox(err))),
  );
  const totals = ["active", "settled", "refunded", "cancelled"];
  fill(
    main,
    h("h1", {}, `${title}: ${report.title}`),
    h("p", {}, badge(words(report.status)), " ", csv, csvProblem),
    discrepancies(report),
    section(
      "Summary",
      h(
        "div",
        { class: "columns" },
        facts([
          ["Raised", money(report.raised, c)],
          ["Target", money(report.target_amount, c)],
          ["Minimum raise", money(report.min_raise, c)],
          ["Price per share", money(report.price_per_share, c)],
          ["Subscriptions", count(report.subscription_count)],
          ["Awaiting reconfirmation", count(report.awaiting_reconfirmation)],
          ["Fee", money(report.fee, c)],
          ["Sponsor payout", money(report.sponsor_payout, c)],
          ["Settlement entry", report.settlement ? ident(report.settlement.entry_id) : "not settled"],
        ]),
        table(
          [
            ["Status", (t) => words(t)],
            ["Subscriptions", (t) => count(report[t].count)],
            ["Shares", (t) => count(report[t].shares)],
            ["Amount", (t) => money(report[t].amount, c)],
          ],
          totals,
        ),
        facts([
          ["Escrow: subscribed", money(report.escrow.subscribed, c)],
          ["Escrow: cancelled", money(report.escrow.cancelled, c)],
          ["Escrow: refunded", money(report.escrow.refunded, c)],
          ["Escrow: settled", money(report.escrow.settled, c)],
          ["Escrow balance", money(report.escrow.balance, c)],
        ]),
      ),
    ),
    section("Subscriptions over time", chart(report, offering)),
    section(`Subscriptions (${count(report.subscriptions.length)})`, lines(report)),
  );
}

function discrepancies(report) {
  if (!report.discrepancies.length) {
    return h("p", { class: "agree", role: "status" }, badge("0 discrepancies", "ok"), " The subscriptions and the ledger agree.");
  }
  return h(
    "section",
    { class: "discrepancies", role: "alert" },
    h("h2", {}, `${report.discrepancies.length} discrepancies`),
    table(
      [
        ["Check", (d) => d.check],
        ["Expected", (d) => figure(d.check, d.expected, report.currency)],
        ["Actual", (d) => figure(d.check, d.actual, report.currency)],
        ["Detail", (d) => d.detail],
      ],
      report.discrepancies,
      () => "bad",
    ),
  );
}

/** A discrepancy's figure: money, but for the one check that counts. */
function figure(check, value, currency) {
  return check === "settlement_recorded" ? count(value) : money(value, currency);
}

/** Cumulative raised by subscription time: every subscription not cancelled. */
function chart(report, offering) {
  const kept = report.subscriptions
    .filter((s) => s.status !== "cancelled")
    .map((s) => ({ at: new Date(s.created_at), amount: s.amount }))
    .sort((a, b) => a.at - b.at);
  let total = 0;
  const points = kept.map((s) => {
    total += s.amount;
    return { at: s.at, value: total };
  });
  const marks = [{ label: "deadline", at: new Date(offering.closes_at), class: "deadline" }];
  if (offering.opens_at) marks.push({ label: "opened", at: new Date(offering.opens_at), class: "opened" });
  return stepChart({
    title: `Cumulative raised of ${report.title} against its target and minimum`,
    points,
    levels: [
      { label: "target", value: report.target_amount, class: "target" },
      { label: "minimum", value: report.min_raise, class: "minimum" },
    ],
    marks,
    label: (v) => money(v),
  });
}

function lines(report) {
  const holder = h("div");
  let page = 0;
  const pages = Math.max(1, Math.ceil(report.subscriptions.length / LINES_PER_PAGE));
  const draw = () => {
    const rows = report.subscriptions.slice(page * LINES_PER_PAGE, (page + 1) * LINES_PER_PAGE);
    const previous = h("button", { type: "button", class: "quiet", disabled: page === 0, onclick: () => { page -= 1; draw(); } }, "← Previous page");
    const next = h("button", { type: "button", class: "quiet", disabled: page + 1 >= pages, onclick: () => { page += 1; draw(); } }, "Next page →");
    fill(
      holder,
      table(
        [
          ["Subscription", (s) => ident(s.subscription_id)],
          ["Investor", (s) => ident(s.investor_id)],
          ["Shares", (s) => count(s.shares)],
          ["Amount", (s) => money(s.amount, report.currency)],
          ["Status", (s) => words(s.status)],
          ["Made", (s) => when(s.created_at)],
          ["Reconfirmation", (s) => (s.reconfirmation ? words(s.reconfirmation) : "")],
          ["In", (s) => ident(s.subscription_entry_id)],
          ["Out", (s) => (s.closing_entry_id ? ident(s.closing_entry_id) : "")],
        ],
        rows,
      ),
      pages > 1 ? h("div", { class: "pager" }, previous, ` page ${page + 1} of ${pages} `, next) : null,
    );
  };
  draw();
  return holder;
}
