// Launches: open offerings with their progress, kept live by the catalogue's
// progress stream (Server-Sent Events, one connection for the whole page);
// if the stream cannot be had, the page polls instead.

import { request } from "../api.js";
import { badge, fill, h, pagedList, section } from "../dom.js";
import { count, money, when, words } from "../format.js";

export const title = "Launches";

const POLL_MS = 5000;

export function render(main, ctx) {
  // offering id -> function(progress) that redraws its row.
  const shown = new Map();
  const live = h("p", { class: "live", role: "status" }, "Connecting to live progress…");
  const list = pagedList(
    (cursor) => request("GET", "/offerings", { query: { status: "open", sort: "closes_at", cursor, limit: 20 } }),
    (items) => {
      shown.clear();
      return h("div", { class: "launches" }, items.map((o) => launch(o, shown)));
    },
    "No offering is open.",
  );
  fill(main, h("h1", {}, title), live, section("Open offerings", list.element));

  let poll = null;
  const startPolling = () => {
    if (poll) return;
    fill(live, "Live progress is unavailable; refreshing every few seconds.");
    poll = setInterval(() => list.refresh(), POLL_MS);
  };
  const stream = new EventSource("/api/v1/offerings/events");
  stream.addEventListener("open", () => fill(live, badge("live", "ok"), " Progress updates as subscriptions commit."));
  stream.addEventListener("progress", (event) => {
    let figures;
    try {
      figures = JSON.parse(event.data);
    } catch {
      return;
    }
    const redraw = shown.get(figures.offering_id);
    if (redraw) redraw(figures);
  });
  stream.addEventListener("error", () => {
    // The browser reconnects by itself (resuming with Last-Event-ID) unless
    // the server refused the stream outright.
    if (stream.readyState === EventSource.CLOSED) startPolling();
    else fill(live, "Reconnecting to live progress…");
  });
  ctx.onLeave(() => {
    stream.close();
    if (poll) clearInterval(poll);
  });
}

function launch(o, shown) {
  const bar = h("progress", { max: o.target_amount, value: o.progress.raised, "aria-label": `${o.title}: raised` });
  const figures = h("p", { class: "figures" });
  const state = h("span", { class: "state" });
  // Events carry the offering's version: an older one than drawn is stale.
  let drawn = -1;
  const draw = (p) => {
    if (p.version !== undefined) {
      if (p.version <= drawn) return;
      drawn = p.version;
    }
    bar.max = p.target_amount;
    bar.value = p.raised;
    fill(
      figures,
      h("strong", {}, money(p.raised, o.currency)),
      ` of ${money(p.target_amount, o.currency)} (${p.percent}%) · `,
      `${count(p.investor_count)} investor${p.investor_count === 1 ? "" : "s"} · `,
      `${count(p.remaining_shares)} shares left · minimum ${money(o.min_raise, o.currency)} · closes ${when(p.closes_at)}`,
    );
    const status = p.status || o.status;
    fill(state, badge(words(status), status === "open" ? "" : "ok"));
  };
  draw({ ...o.progress, status: o.status });
  shown.set(o.id, draw);
  return h(
    "article",
    { class: "card launch", "data-offering": o.id },
    h("h3", {}, o.title, " ", state),
    bar,
    figures,
    h("p", {}, h("a", { href: `#/reconciliation/${encodeURIComponent(o.id)}` }, "Reconciliation")),
  );
}
