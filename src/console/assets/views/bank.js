// The bank: match a statement from the custodian bank against the ledger,
// and resolve what the bank sent that matched nothing: money in that no
// deposit announced (credit it to an investor, or send it back) and money
// out that matched no transfer (assign it, or write it off).

import { ApiProblem, actionKeys, request } from "../api.js";
import { alertBox, badge, field, fill, h, ident, notice, openDialog, pagedList, section, table } from "../dom.js";
import { count, money, when, words } from "../format.js";

export const title = "Bank";

export function render(main) {
  const status = h("div", { "aria-live": "polite" });
  const unallocated = pagedList(
    (cursor) => request("GET", "/operator/unallocated-deposits", { query: { status: "open", cursor, limit: 20 } }),
    (items) =>
      table(
        [
          ["Received", (d) => when(d.received_at)],
          ["Bank transaction", (d) => ident(d.bank_txn_id)],
          ["Reference quoted", (d) => d.reference || "(none)"],
          ["Amount", (d) => money(d.amount, d.currency)],
          ["Why", (d) => words(d.reason)],
          [
            "",
            (d) =>
              h(
                "div",
                { class: "actions" },
                h("button", { type: "button", class: "primary", onclick: () => credit(d, status, () => unallocated.reload()) }, "Credit to investor…"),
                h("button", { type: "button", onclick: () => giveBack(d, status, () => unallocated.reload()) }, "Return to sender…"),
              ),
          ],
        ],
        items,
        () => "open-item",
      ),
    "No unallocated deposit is open.",
  );
  const unreconciled = pagedList(
    (cursor) => request("GET", "/operator/unreconciled-movements", { query: { status: "open", cursor, limit: 20 } }),
    (items) =>
      table(
        [
          ["Received", (m) => when(m.received_at)],
          ["Bank transaction", (m) => ident(m.bank_txn_id)],
          ["Kind", (m) => words(m.kind)],
          ["Reference", (m) => m.reference || "(none)"],
          ["Amount", (m) => money(m.amount, m.currency)],
          ["Why", (m) => words(m.reason)],
          [
            "",
            (m) =>
              h(
                "div",
                { class: "actions" },
                h("button", { type: "button", class: "primary", onclick: () => assign(m, status, () => unreconciled.reload()) }, "Assign…"),
                h("button", { type: "button", class: "danger", onclick: () => writeOff(m, status, () => unreconciled.reload()) }, "Write off…"),
              ),
          ],
        ],
        items,
        () => "open-item",
      ),
    "No unreconciled movement is open.",
  );
  fill(
    main,
    h("h1", {}, title),
    status,
    section("Match a bank statement", statementForm()),
    section("Unallocated deposits", unallocated.element),
    section("Unreconciled movements", unreconciled.element),
  );
}

function statementForm() {
  const file = h("input", { type: "file", accept: ".csv,text/csv", name: "statement" });
  const go = h("button", { type: "submit", class: "primary" }, "Match statement");
  const out = h("div", { class: "statement-report", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "upload" },
    field("Statement (CSV: bank_txn_id, booked_at, amount, direction, reference)", file),
    go,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files && file.files[0];
    if (!chosen) {
      fill(out, h("p", { class: "problem", role: "alert" }, "Choose the statement's CSV file first."));
      return;
    }
    go.disabled = true;
    fill(out, h("p", { class: "loading" }, `Matching ${chosen.name}…`));
    try {
      const report = await request("POST", "/operator/bank-statements", { csv: await chosen.text() });
      fill(out, statementReport(report));
    } catch (err) {
      fill(out, alertBox(err));
    } finally {
      go.disabled = false;
    }
  });
  return h("div", {}, form, out);
}

function statementReport(r) {
  const clean = !r.amount_mismatches.length && !r.unmatched_in_statement.length && !r.unmatched_in_ledger.length;
  const movement = (m) => `${words(m.kind)} ${m.reference} (${money(m.amount)})`;
  return h(
    "div",
    {},
    h(
      "p",
      { class: clean ? "agree" : "disagree", role: "status" },
      badge(`${count(r.matched.length)} matched`, "ok"),
      " ",
      badge(`${count(r.amount_mismatches.length)} mismatched`, r.amount_mismatches.length ? "bad" : ""),
      " ",
      badge(`${count(r.unmatched_in_statement.length)} unmatched in the statement`, r.unmatched_in_statement.length ? "bad" : ""),
      " ",
      badge(`${count(r.unmatched_in_ledger.length)} unmatched in the ledger`, r.unmatched_in_ledger.length ? "bad" : ""),
      ` · ${count(r.lines)} lines, ${when(r.period_from)} to ${when(r.period_to)}`,
    ),
    r.amount_mismatches.length
      ? section("Amounts that differ", table([
          ["Line", (m) => String(m.line)],
          ["Bank transaction", (m) => ident(m.bank_txn_id)],
          ["Statement", (m) => money(m.statement_amount)],
          ["Ledger", (m) => movement(m.ledger)],
        ], r.amount_mismatches, () => "bad"))
      : null,
    r.unmatched_in_statement.length
      ? section("In the statement, not in the ledger", table([
          ["Line", (m) => String(m.line)],
          ["Bank transaction", (m) => ident(m.bank_txn_id)],
          ["Reference", (m) => m.reference],
          ["Amount", (m) => money(m.amount)],
          ["Direction", (m) => m.direction],
        ], r.unmatched_in_statement, () => "bad"))
      : null,
    r.unmatched_in_ledger.length
      ? section("In the ledger, not in the statement", table([
          ["Booked", (m) => when(m.at)],
          ["Movement", (m) => movement(m)],
          ["Bank transaction", (m) => (m.bank_txn_id ? ident(m.bank_txn_id) : "")],
        ], r.unmatched_in_ledger, () => "bad"))
      : null,
    r.matched.length
      ? h("details", {}, h("summary", {}, `Matched lines (${count(r.matched.length)})`), table([
          ["Line", (m) => String(m.line)],
          ["Bank transaction", (m) => ident(m.bank_txn_id)],
          ["Matched by", (m) => words(m.matched_by)],
          ["Ledger", (m) => movement(m.ledger)],
        ], r.matched))
      : null,
  );
}

/** Credit money in suspense to an investor, found by email. */
function credit(d, status, done) {
  const keys = actionKeys();
  const email = h("input", { type: "search", placeholder: "investor@example.com", maxlength: 200 });
  const matches = h("div", { class: "choices" });
  const note = h("input", { type: "text", maxlength: 500 });
  let chosen = null;
  const dialog = openDialog({
    title: `Credit ${money(d.amount, d.currency)} (${d.bank_txn_id})`,
    body: h(
      "div",
      {},
      h("p", {}, `The sender quoted “${d.reference || "nothing"}”. Find the investor it belongs to.`),
      field("Investor's email", email),
      matches,
      field("Note (kept in the audit log)", note),
    ),
    confirm: "Credit",
    keys,
    ready: false,
    act: async () => {
      if (!chosen) throw new ApiProblem(0, { detail: "Choose the investor first." });
      const body = { investor_id: chosen.id };
      if (note.value.trim()) body.note = note.value.trim();
      await request("POST", `/operator/unallocated-deposits/${encodeURIComponent(d.id)}/credit`, { key: keys.key(body), body });
      fill(status, notice(`${money(d.amount, d.currency)} credited to ${chosen.email}.`));
      done();
      return notice(`Credited to ${chosen.email}.`);
    },
  });
  let timer = null;
  // Only the newest search may draw its results.
  let newest = 0;
  email.addEventListener("input", () => {
    // What was chosen belonged to the old text.
    chosen = null;
    dialog.enable(false);
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++newest;
      const text = email.value.trim();
      if (text.length < 2) {
        fill(matches);
        return;
      }
      try {
        const page = await request("GET", "/operator/users", { query: { email: text, limit: 50 } });
        if (mine !== newest) return;
        const investors = page.items.filter((u) => u.role === "investor");
        fill(
          matches,
          investors.length
            ? investors.map((u) => {
                const option = h("input", { type: "radio", name: `credit-${d.id}`, value: u.id });
                option.addEventListener("change", () => {
                  chosen = u;
                  dialog.enable(true);
                });
                return h("label", { class: "choice" }, option, ` ${u.email} · ${u.display_name}`, u.disabled ? badge("disabled", "bad") : null);
              })
            : h("p", { class: "empty" }, "No investor's email contains that."),
          page.next_cursor ? h("p", { class: "hint" }, "More accounts match: type more of the email.") : null,
        );
      } catch (err) {
        if (mine === newest) fill(matches, alertBox(err));
      }
    }, 250);
  });
  email.focus();
}

function giveBack(d, status, done) {
  const keys = actionKeys();
  const txn = h("input", { type: "text", maxlength: 100 });
  const note = h("input", { type: "text", maxlength: 500 });
  openDialog({
    title: `Return ${money(d.amount, d.currency)} to its sender`,
    body: h(
      "div",
      {},
      h("p", {}, "Record the transfer you made at the bank; the money leaves suspense."),
      field("The bank's transaction id of the return (if known)", txn),
      field("Note", note),
    ),
    confirm: "Record the return",
    keys,
    danger: true,
    act: async () => {
      const body = {};
      if (txn.value.trim()) body.bank_txn_id = txn.value.trim();
      if (note.value.trim()) body.note = note.value.trim();
      await request("POST", `/operator/unallocated-deposits/${encodeURIComponent(d.id)}/return`, { key: keys.key(body), body });
      fill(status, notice(`${d.bank_txn_id} returned to its sender.`));
      done();
      return notice("Recorded.");
    },
  });
}

function assign(m, status, done) {
  const keys = actionKeys();
  const kinds = m.kind === "withdrawal" ? [["withdrawal_id", "A pending withdrawal"]] : [["deposit_id", "A credited deposit"], ["unallocated_deposit_id", "An open unallocated deposit"]];
  const kind = h("select", {}, kinds.map(([value, label]) => h("option", { value }, label)));
  const target = h("input", { type: "text", maxlength: 100, value: m.withdrawal_id || m.deposit_id || "" });
  const note = h("input", { type: "text", maxlength: 500 });
  openDialog({
    title: `Assign ${m.bank_txn_id} (${money(m.amount, m.currency)})`,
    body: h("div", {}, h("p", {}, `The bank quoted “${m.reference || "nothing"}”.`), field("It is the bank's side of", kind), field("Its id", target), field("Note", note)),
    confirm: "Assign",
    keys,
    act: async () => {
      const body = { [kind.value]: target.value.trim() };
      if (note.value.trim()) body.note = note.value.trim();
      await request("POST", `/operator/unreconciled-movements/${encodeURIComponent(m.id)}/assign`, { key: keys.key(body), body });
      fill(status, notice(`${m.bank_txn_id} assigned.`));
      done();
      return notice("Assigned.");
    },
  });
}

function writeOff(m, status, done) {
  const keys = actionKeys();
  const reason = h("input", { type: "text", maxlength: 500 });
  openDialog({
    title: `Write off ${m.bank_txn_id} (${money(m.amount, m.currency)})`,
    body: h("div", {}, h("p", {}, "The platform takes the loss. Say why; the audit log keeps it."), field("Reason", reason)),
    confirm: "Write off",
    keys,
    danger: true,
    act: async () => {
      const body = { reason: reason.value.trim() };
      await request("POST", `/operator/unreconciled-movements/${encodeURIComponent(m.id)}/write-off`, { key: keys.key(body), body });
      fill(status, notice(`${m.bank_txn_id} written off.`));
      done();
      return notice("Written off.");
    },
  });
}
