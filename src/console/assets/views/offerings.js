// Offerings in review: the terms a sponsor submitted and their documents,
// with approve / reject (a rejection sends it back to the sponsor's draft,
// with the reason).

import { request } from "../api.js";
import { alertBox, decision, download, downloadUrl, facts, fill, h, ident, pagedList, section } from "../dom.js";
import { count, money, when, words } from "../format.js";

export const title = "Offerings in review";

export function render(main) {
  const status = h("div", { "aria-live": "polite" });
  const list = pagedList(
    (cursor) => request("GET", "/operator/offerings", { query: { status: "in_review", cursor, limit: 10 } }),
    (items) => items.map((offering) => review(offering, status, () => list.refresh())),
    "No offering waits for a review.",
  );
  fill(main, h("h1", {}, title), status, section("In review", list.element));
}

function review(o, status, done) {
  const documents = h("div", {}, h("p", { class: "loading" }, "Loading documents…"));
  loadDocuments(o.id, documents);
  const act = async (action, body) => {
    const after = await request("POST", `/operator/offerings/${encodeURIComponent(o.id)}/${action}`, { body });
    return `${o.title}: ${words(after.status)}.`;
  };
  const card = h(
    "article",
    { class: "card offering", "data-offering": o.id },
    h("h3", {}, o.title),
    h("p", { class: "summary" }, o.summary),
    facts([
      ["Sponsor", ident(o.sponsor_id)],
      ["Security", words(o.security_type)],
      ["Price per share", money(o.price_per_share, o.currency)],
      ["Target (ceiling)", money(o.target_amount, o.currency)],
      ["Minimum raise", money(o.min_raise, o.currency)],
      ["Minimum subscription", money(o.min_subscription, o.currency)],
      ["Maximum per investor", o.max_per_investor ? money(o.max_per_investor, o.currency) : "none"],
      ["Opens", o.opens_at ? when(o.opens_at) : "on approval"],
      ["Closes", when(o.closes_at)],
      ["Submitted", when(o.updated_at)],
    ]),
    o.description ? h("details", {}, h("summary", {}, "Description"), h("p", { class: "prose" }, o.description)) : null,
    h("h4", {}, "Documents"),
    documents,
    decision({
      reader: "sponsor",
      maxlength: 2000,
      approve: () => act("approve"),
      reject: (reason) => act("reject", { reason }),
      status,
      done,
    }),
  );
  return card;
}

async function loadDocuments(id, into) {
  try {
    const page = await request("GET", `/offerings/${encodeURIComponent(id)}/documents`);
    if (!page.items.length) {
      fill(into, h("p", { class: "empty" }, "No documents."));
      return;
    }
    fill(into, h("ul", { class: "documents" }, page.items.map((d) => documentItem(id, d))));
  } catch (err) {
    fill(into, alertBox(err));
  }
}

function documentItem(offeringId, d) {
  const v = d.current;
  const failed = h("span");
  const base = `/offerings/${encodeURIComponent(offeringId)}/documents/${encodeURIComponent(d.id)}`;
  const button = h("button", { type: "button", class: "quiet" }, "Download");
  button.addEventListener("click", async () => {
    fill(failed);
    try {
      if (d.visibility === "public") {
        await download(`${base}/versions/${v.version}/content`, v.file_name, v.content_type);
      } else {
        // Restricted documents open only through a signed link; this
        // server's own link, fetched from this origin.
        const link = await request("POST", `${base}/links`, { body: { version: v.version } });
        const url = new URL(link.url, location.href);
        await downloadUrl(url.pathname + url.search, v.file_name);
      }
    } catch (err) {
      fill(failed, alertBox(err));
    }
  });
  return h(
    "li",
    {},
    `${words(d.kind)}: ${v.file_name} (version ${v.version}, ${count(v.size)} bytes, ${d.visibility}) `,
    button,
    failed,
  );
}
