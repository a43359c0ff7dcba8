// A step chart of money over time, drawn as SVG: one series plus the
// horizontal levels (target, minimum) and vertical marks (deadline) it is
// read against. Pixel positions are the only place figures become
// fractional.

const SVG = "http://www.w3.org/2000/svg";
const W = 960;
const H = 240;
const PAD = { left: 96, right: 24, top: 16, bottom: 40 };

function el(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * points: [{at: Date, value: integer}] (cumulative, in time order);
 * levels: [{label, value, class}]; marks: [{label, at: Date, class}];
 * label(value) formats the y axis.
 */
export function stepChart({ points, levels, marks, label, title }) {
  // Loops, not Math.min(...xs): a large round has more points than a call
  // takes arguments.
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const t of [...points.map((p) => p.at.getTime()), ...marks.map((m) => m.at.getTime())]) {
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t);
  }
  if (!Number.isFinite(t0)) t0 = t1 = Date.now();
  t1 = Math.max(t1, t0 + 60000);
  let top = 1;
  for (const v of [...points.map((p) => p.value), ...levels.map((l) => l.value)]) top = Math.max(top, v);
  top *= 1.08;
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);

  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
  svg.append(el("title", {}, title));
  svg.append(el("line", { x1: PAD.left, y1: y(0), x2: W - PAD.right, y2: y(0), class: "axis" }));
  svg.append(el("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: y(0), class: "axis" }));
  // Levels of the same value share one line and one label.
  const merged = [];
  for (const level of levels) {
    const same = merged.find((m) => m.value === level.value);
    if (same) same.label += ` = ${level.label}`;
    else merged.push({ ...level });
  }
  for (const level of merged) {
    svg.append(el("line", { x1: PAD.left, y1: y(level.value), x2: W - PAD.right, y2: y(level.value), class: `level ${level.class}` }));
    svg.append(el("text", { x: PAD.left - 6, y: y(level.value) + 4, class: "tick", "text-anchor": "end" }, label(level.value)));
    svg.append(el("text", { x: (PAD.left + W - PAD.right) / 2, y: y(level.value) - 5, class: `tag ${level.class}`, "text-anchor": "middle" }, level.label));
  }
  // Marks are labelled along the bottom, clear of the levels.
  for (const mark of marks) {
    const at = x(mark.at.getTime());
    const right = at > W / 2;
    svg.append(el("line", { x1: at, y1: PAD.top, x2: at, y2: y(0), class: `mark ${mark.class}` }));
    svg.append(el("text", { x: right ? at - 4 : at + 4, y: y(0) - 6, class: `tag ${mark.class}`, "text-anchor": right ? "end" : "start" }, mark.label));
  }
  svg.append(el("text", { x: PAD.left, y: H - 12, class: "tick" }, new Date(t0).toISOString().slice(0, 16).replace("T", " ")));
  svg.append(el("text", { x: W - PAD.right, y: H - 12, class: "tick", "text-anchor": "end" }, new Date(t1).toISOString().slice(0, 16).replace("T", " ")));
  if (points.length) {
    let d = `M ${x(points[0].at.getTime())} ${y(0)}`;
    let last = 0;
    for (const p of points) {
      const px = x(p.at.getTime());
      d += ` L ${px} ${y(last)} L ${px} ${y(p.value)}`;
      last = p.value;
    }
    svg.append(el("path", { d, class: "series" }));
    svg.append(el("text", { x: x(points[points.length - 1].at.getTime()) + 6, y: y(last) - 6, class: "tag series-tag" }, label(last)));
  }
  return svg;
}
