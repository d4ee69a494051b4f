import type { TwoLayerNet } from './network.js';

/** One network drawn by {@link splineSvg}. */
export interface SplineCurve {
  /** Legend text (escaped for SVG). */
  readonly label: string;
  /** A 1-D network on inputs [x, 1] with scalar output (d = 2, c = 1). */
  readonly net: TwoLayerNet;
  /** An SVG colour for the curve and its kink marks, e.g. `#1f77b4`. */
  readonly color: string;
}

/**
 * A dependency-free SVG of 1-D ReLU networks (inputs [x, 1]) against their data: each curve is
 * drawn exactly (it is piecewise linear, so its kinks and the ends are enough), kinks are marked,
 * and the data points are dots. Used by `clt convex --spline` and docs/convex.md.
 */
export function splineSvg(x: ArrayLike<number>, y: ArrayLike<number>, curves: readonly SplineCurve[], options: { width?: number; height?: number; title?: string } = {}): string {
  const W = options.width ?? 640, H = options.height ?? 360, m = { l: 50, r: 20, t: 34, b: 40 };
  const xs = Array.from(x), ys = Array.from(y);
  const xmin = Math.min(...xs), xmax = Math.max(...xs), pad = 0.15 * (xmax - xmin || 1);
  const x0 = xmin - pad, x1 = xmax + pad;
  const f = (net: TwoLayerNet, t: number): number => {
    let s = 0;
    for (let j = 0; j < net.m; j++) { const z = net.U[2 * j]! * t + net.U[2 * j + 1]!; if (z > 0) s += z * net.alpha[j]!; }
    return s;
  };
  const paths = curves.map((c) => {
    const ts = [x0, x1];
    for (let j = 0; j < c.net.m; j++) { const a = c.net.U[2 * j]!; if (a !== 0) { const t = -c.net.U[2 * j + 1]! / a; if (t > x0 && t < x1) ts.push(t); } }
    ts.sort((a, b) => a - b);
    return { c, pts: ts.map((t) => [t, f(c.net, t)] as const), kinks: ts.slice(1, -1) };
  });
  const allY = [...ys, ...paths.flatMap((p) => p.pts.map((q) => q[1]))];
  let y0 = Math.min(...allY), y1 = Math.max(...allY);
  const yp = 0.1 * (y1 - y0 || 1); y0 -= yp; y1 += yp;
  const sx = (t: number) => m.l + ((t - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const n2 = (v: number) => v.toFixed(2);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (options.title) out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escape(options.title)}</text>`);
  out.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#444"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#444"/>`);
  for (let k = 0; k <= 4; k++) {
    const tx = x0 + ((x1 - x0) * k) / 4, ty = y0 + ((y1 - y0) * k) / 4;
    out.push(`<text x="${n2(sx(tx))}" y="${H - m.b + 16}" text-anchor="middle">${tx.toFixed(2)}</text>`);
    out.push(`<text x="${m.l - 6}" y="${n2(sy(ty) + 4)}" text-anchor="end">${ty.toFixed(2)}</text>`);
  }
  for (const p of paths) {
    out.push(`<polyline fill="none" stroke="${p.c.color}" stroke-width="2" points="${p.pts.map(([t, v]) => `${n2(sx(t))},${n2(sy(v))}`).join(' ')}"/>`);
    for (const t of p.kinks) out.push(`<line x1="${n2(sx(t))}" x2="${n2(sx(t))}" y1="${n2(sy(f(p.c.net, t)) - 5)}" y2="${n2(sy(f(p.c.net, t)) + 5)}" stroke="${p.c.color}" stroke-width="2"/>`);
  }
  xs.forEach((t, i) => out.push(`<circle cx="${n2(sx(t))}" cy="${n2(sy(ys[i]!))}" r="4" fill="black"/>`));
  paths.forEach((p, i) => {
    out.push(`<line x1="${m.l + 10}" x2="${m.l + 30}" y1="${m.t + 8 + 16 * i}" y2="${m.t + 8 + 16 * i}" stroke="${p.c.color}" stroke-width="2"/>`);
    out.push(`<text x="${m.l + 36}" y="${m.t + 12 + 16 * i}">${escape(p.c.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
