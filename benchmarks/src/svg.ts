/** Minimal dependency-free SVG charts for benchmark summaries (horizontal bars, log-log lines). */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

export function barChart(title: string, unit: string, bars: { label: string; value: number }[]): string {
  const rowH = 22, left = 300, width = 760, top = 40, max = Math.max(...bars.map((b) => b.value), 1e-12);
  const h = top + bars.length * rowH + 30;
  const rows = bars.map((b, i) => {
    const w = ((width - left - 90) * b.value) / max, y = top + i * rowH;
    return `<text x="${left - 8}" y="${y + 15}" text-anchor="end" font-size="12">${esc(b.label)}</text>` +
      `<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${PALETTE[i % PALETTE.length]}"/>` +
      `<text x="${left + w + 6}" y="${y + 15}" font-size="12">${b.value.toPrecision(3)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>` +
    `<text x="${width - 10}" y="22" font-size="12" text-anchor="end">${esc(unit)}</text>${rows.join('')}</svg>`;
}

/** Lines of y against x on log-log axes, one per series. */
export function logLogChart(title: string, xLabel: string, yLabel: string, series: { name: string; points: [number, number][] }[]): string {
  const W = 760, H = 420, L = 70, R = 180, T = 40, B = 50;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  if (!pts.length) return '';
  const lx = pts.map(([x]) => Math.log10(x)), ly = pts.map(([, y]) => Math.log10(y));
  const [x0, x1] = [Math.min(...lx), Math.max(...lx) + 1e-9], [y0, y1] = [Math.min(...ly) - 0.05, Math.max(...ly) + 0.05];
  const sx = (x: number) => L + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y: number) => H - B - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const ticks = (a: number, b: number) => { const out: number[] = []; for (let e = Math.floor(a); e <= Math.ceil(b); e++) for (const m of [1, 2, 5]) { const v = m * 10 ** e; if (Math.log10(v) >= a - 1e-9 && Math.log10(v) <= b + 1e-9) out.push(v); } return out; };
  const grid = [
    ...ticks(x0, x1).map((v) => `<line x1="${sx(v)}" x2="${sx(v)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${sx(v)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${v}</text>`),
    ...ticks(y0, y1).map((v) => `<line x1="${L}" x2="${W - R}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/><text x="${L - 6}" y="${sy(v) + 4}" font-size="11" text-anchor="end">${v}</text>`),
  ];
  const lines = series.map((s, i) => {
    const c = PALETTE[i % PALETTE.length], p = s.points.filter(([x, y]) => x > 0 && y > 0).sort((a, b) => a[0] - b[0]);
    return `<polyline fill="none" stroke="${c}" stroke-width="2" points="${p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>` +
      p.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${c}"/>`).join('') +
      `<text x="${W - R + 10}" y="${T + 16 * i + 10}" font-size="12" fill="${c}">${esc(s.name)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>` +
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>${grid.join('')}` +
    `<text x="${(L + W - R) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text x="16" y="${(T + H - B) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">${esc(yLabel)}</text>${lines.join('')}</svg>`;
}
