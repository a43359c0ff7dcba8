// Closing rounds: settle funded ones (fee and payout shown before the
// operator confirms), refund failed and cancelled ones, and reach the
// reconciliation of every closed round. Each dialog is one intended action
// with one Idempotency-Key, kept for any retry: a double click or a retry
// after a lost answer settles or refunds once.

import { actionKeys, request } from "../api.js";
import { alertBox, facts, fill, h, notice, openDialog, pagedList, section, table } from "../dom.js";
import { bps, count, money, when } from "../format.js";

export const title = "Closing";

export function render(main) {
  const status = h("div", { "aria-live": "polite" });
  const lists = [];
  const refreshAll = () => lists.forEach((l) => l.reload());
  const listOf = (state, actions, empty) => {
    const list = pagedList(
      (cursor) => request("GET", "/operator/offerings", { query: { status: state, cursor, limit: 20 } }),
      (items) => rounds(items, actions),
      empty,
    );
    lists.push(list);
    return list.element;
  };
  const settleAction = (o) =>
    h("button", { type: "button", class: "primary", "data-offering": o.id, onclick: () => settle(o, status, refreshAll) }, "Settle…");
  const refundAction = (o) =>
    h("button", { type: "button", class: "primary", "data-offering": o.id, onclick: () => refund(o, status, refreshAll) }, "Refund…");
  fill(
    main,
    h("h1", {}, title),
    status,
    section("Funded: ready to settle", listOf("funded", settleAction, "No funded round.")),
    section("Failed: to refund", listOf("failed", refundAction, "No failed round waits for a refund.")),
    section("Cancelled: to refund", listOf("cancelled", refundAction, "No cancelled round waits for a refund.")),
    section("Settled", listOf("settled", null, "No settled round yet.")),
    section("Refunded", listOf("refunded", null, "No refunded round yet.")),
  );
}

function rounds(items, action) {
  return table(
    [
      ["Offering", (o) => h("a", { href: `#/reconciliation/${encodeURIComponent(o.id)}` }, o.title)],
      ["Raised", (o) => money(o.progress.raised, o.currency)],
      ["Target", (o) => money(o.target_amount, o.currency)],
      ["Minimum", (o) => money(o.min_raise, o.currency)],
      ["Investors", (o) => count(o.progress.investor_count)],
      ["Closes", (o) => when(o.closes_at)],
      ["", (o) => (action ? action(o) : h("a", { href: `#/reconciliation/${encodeURIComponent(o.id)}` }, "Reconcile"))],
    ],
    items,
  );
}

async function settle(o, status, done) {
  const keys = actionKeys();
  const body = h("div", {}, h("p", { class: "loading" }, "Computing the settlement…"));
  const dialog = openDialog({
    title: `Settle ${o.title}`,
    body,
    confirm: "Settle now",
    keys,
    ready: false,
    act: async () => {
      const s = await request("POST", `/operator/offerings/${encodeURIComponent(o.id)}/settle`, { key: keys.key() });
      fill(status, notice(`${o.title} settled: ${money(s.sponsor_payout, o.currency)} to the sponsor, fee ${money(s.fee, o.currency)}.`));
      done();
      return h(
        "div",
        {},
        notice("Settled."),
        facts([
          ["Gross", money(s.gross, o.currency)],
          ["Fee", money(s.fee, o.currency)],
          ["Sponsor payout", money(s.sponsor_payout, o.currency)],
          ["Subscriptions settled", count(s.subscriptions_settled)],
          ["Journal entry", s.entry_id],
        ]),
        h("p", {}, h("a", { href: `#/reconciliation/${encodeURIComponent(o.id)}` }, "Open the reconciliation")),
      );
    },
  });
  try {
    const q = await request("GET", `/operator/offerings/${encodeURIComponent(o.id)}/settlement-quote`);
    fill(
      body,
      h("p", {}, "The whole escrow leaves in one transaction: the fee to the platform, the rest to the sponsor."),
      facts([
        ["Gross (escrow)", money(q.gross, q.currency)],
        [`Platform fee (${bps(q.fee_bps)})`, h("span", { class: "fee" }, money(q.fee, q.currency))],
        ["Net to the sponsor", h("strong", { class: "net" }, money(q.sponsor_payout, q.currency))],
      ]),
      q.awaiting_reconfirmation > 0
        ? h("p", { class: "problem", role: "alert" }, `${count(q.awaiting_reconfirmation)} subscriptions still await reconfirmation of a material change: the round cannot settle until they are decided.`)
        : null,
    );
    dialog.enable(q.awaiting_reconfirmation === 0);
  } catch (err) {
    fill(body, alertBox(err));
  }
}

function refund(o, status, done) {
  const keys = actionKeys();
  openDialog({
    title: `Refund ${o.title}`,
    body: h(
      "div",
      {},
      h("p", {}, "Every active subscription's money goes back to its investor's cash account, and the round ends refunded."),
      facts([
        ["In escrow", money(o.progress.raised, o.currency)],
        ["Investors", count(o.progress.investor_count)],
      ]),
    ),
    confirm: "Refund now",
    keys,
    danger: true,
    act: async () => {
      const r = await request("POST", `/operator/offerings/${encodeURIComponent(o.id)}/refund`, { key: keys.key() });
      fill(status, notice(`${o.title} refunded.`));
      done();
      return notice(`Refunded ${count(r.subscriptions_refunded)} subscriptions, ${money(r.amount_refunded, o.currency)}.`);
    },
  });
}
