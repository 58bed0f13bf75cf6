// A small inline SVG chart of the incumbent objective and the bound over time.

import { esc } from "./util.js";

const W = 640, H = 240, PAD = { left: 56, right: 16, top: 16, bottom: 36 };

function ticks(lo, hi, count) {
  if (hi <= lo) return [lo];
  const step0 = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(6)));
  return out;
}

/**
 * SVG markup for ``points`` = [{seconds, objective, bound}]; ``limit`` stretches the time axis and the lines
 * run on to ``until`` seconds (the time so far, or the job's end).
 */
export function progressChart(points, limit = 0, until = 0) {
  const xs = points.map((p) => p.seconds);
  const ys = points.flatMap((p) => (p.bound === null || p.bound === undefined ? [p.objective] : [p.objective, p.bound]));
  const xMax = Math.max(1, limit || 0, until || 0, ...xs);
  let yMin = ys.length ? Math.min(...ys) : 0, yMax = ys.length ? Math.max(...ys) : 1;
  if (yMax === yMin) { yMin -= 1; yMax += 1; }
  const pad = (yMax - yMin) * 0.08;
  yMin -= pad; yMax += pad;
  const x = (s) => PAD.left + (s / xMax) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - ((v - yMin) / (yMax - yMin)) * (H - PAD.top - PAD.bottom);
  const step = (key) => {
    let d = "", last = null;
    for (const p of points) {
      const v = p[key];
      if (v === null || v === undefined) continue;
      d += last === null ? `M${x(p.seconds).toFixed(1)},${y(v).toFixed(1)}`
        : `H${x(p.seconds).toFixed(1)}V${y(v).toFixed(1)}`;
      last = v;
    }
    if (last !== null && points.length) d += `H${x(Math.min(xMax, Math.max(until, ...xs))).toFixed(1)}`;
    return d;
  };
  const last = points[points.length - 1];
  const label = last
    ? `Objective ${last.objective}${last.bound !== null && last.bound !== undefined ? `, bound ${last.bound}` : ""} after ${last.seconds.toFixed(1)} s; ${points.length} incumbent(s)`
    : "No incumbent yet";
  const xt = ticks(0, xMax, 6), yt = ticks(yMin, yMax, 5).filter((v) => v >= yMin && v <= yMax);
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}" preserveAspectRatio="xMidYMid meet">
  <g class="axes">
    <line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}"/>
    <line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}"/>
    ${xt.map((t) => `<g><line class="grid" x1="${x(t)}" y1="${PAD.top}" x2="${x(t)}" y2="${H - PAD.bottom}"/>
      <text x="${x(t)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${t}</text></g>`).join("")}
    ${yt.map((t) => `<g><line class="grid" x1="${PAD.left}" y1="${y(t)}" x2="${W - PAD.right}" y2="${y(t)}"/>
      <text x="${PAD.left - 6}" y="${y(t) + 4}" text-anchor="end">${Math.round(t)}</text></g>`).join("")}
    <text x="${(W + PAD.left) / 2}" y="${H - 4}" text-anchor="middle">seconds</text>
  </g>
  <path class="line bound" d="${step("bound")}"/>
  <path class="line objective" d="${step("objective")}"/>
  ${points.map((p) => `<circle class="dot" cx="${x(p.seconds).toFixed(1)}" cy="${y(p.objective).toFixed(1)}" r="3"/>`).join("")}
</svg>`;
}

export const chartLegend = `<p class="legend"><span class="swatch objective" aria-hidden="true"></span> incumbent objective
  <span class="swatch bound" aria-hidden="true"></span> best bound (dashed)</p>`;
