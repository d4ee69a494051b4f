import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { Figure } from './charts.js';

/**
 * The browser builds of vega, vega-lite and vega-embed (the versions this package depends on),
 * in load order, read from the installed packages so that a report opens offline.
 */
const LIBRARIES = [
  { pkg: 'vega', file: 'vega.min.js' },
  { pkg: 'vega-lite', file: 'vega-lite.min.js' },
  { pkg: 'vega-embed', file: 'vega-embed.min.js' },
] as const;

let cached: string | undefined;

/** The three libraries as inline `<script>` tags (read once per process). */
export function libraryScripts(): string {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  cached = LIBRARIES.map(({ pkg, file }) => {
    // Each package's entry point lives in its build/ folder, beside the minified browser build.
    const src = readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8');
    return `<script>${scriptSafe(src)}</script>`;
  }).join('\n');
  return cached;
}

/** Text that cannot end its `<script>` element early (`</script` in a string or comment). */
function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON for a `<script type="application/json">` block: `</` is escaped (still valid JSON). */
export function jsonBlock(v: unknown): string {
  return JSON.stringify(v).replace(/<\//g, '<\\/');
}

type Enc = { field?: string; type?: string; title?: unknown };

/**
 * The browser version of a figure's spec. A single chart (the run report's, the sweep report's loss
 * curves) becomes as wide as its container, with a tooltip on every point (series, step, value)
 * and, over training steps, drag to pan / wheel to zoom bound to the scales (double-click resets).
 * Small multiples (`concat`, the sweep report's per-factor figures) keep their fixed size, with
 * each chart's own tooltips and its y scale zoomable (`zoom_<i>`, i its place in the grid). The
 * static SVG and the PNG keep the fixed layout.
 */
export function interactiveSpec(figure: Figure): TopLevelSpec {
  const spec = structuredClone(figure.spec) as Record<string, any>;
  if (Array.isArray(spec.concat)) {
    spec.concat = spec.concat.map((sub: Record<string, any>, i: number) => zoomY(sub, `zoom_${i}`));
    return spec as TopLevelSpec;
  }
  const enc = (spec.encoding ?? {}) as Record<string, any>;
  const x = enc.x as Enc | undefined, y = enc.y as Enc | undefined, color = enc.color as Enc | undefined;
  spec.width = 'container';
  if (x?.field && y?.field) {
    const mark = typeof spec.mark === 'string' ? { type: spec.mark } : { ...spec.mark };
    // Points carry the tooltips. On dense charts (no points drawn in the static figure) they are
    // invisible but still hoverable, so the line looks the same.
    if (mark.type === 'line' && !mark.point) mark.point = { size: 30, opacity: 0 };
    mark.tooltip = true;
    spec.mark = mark;
    enc.tooltip = [
      ...(color?.field ? [{ field: color.field, type: 'nominal', title: 'series' }] : []),
      { field: x.field, type: 'quantitative', title: 'step' },
      { field: y.field, type: 'quantitative', title: typeof y.title === 'string' ? y.title : y.field, format: '.4~g' },
    ];
    if (x.field === 'step') spec.params = [...(spec.params ?? []), { name: 'zoom', select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' }];
  }
  return spec as TopLevelSpec;
}

/**
 * One chart of a grid with its y scale bound to a drag / wheel selection (its x is categorical:
 * nothing to zoom). In a layered chart the selection lives in the first layer with a y encoding;
 * the layers share that scale.
 */
function zoomY(sub: Record<string, any>, name: string): Record<string, any> {
  const param = { name, select: { type: 'interval', encodings: ['y'] }, bind: 'scales' };
  if (Array.isArray(sub.layer)) {
    const i = sub.layer.findIndex((l: Record<string, any>) => l.encoding?.y);
    if (i >= 0) sub.layer[i] = { ...sub.layer[i], params: [...(sub.layer[i].params ?? []), param] };
  } else if (sub.encoding?.y) sub.params = [...(sub.params ?? []), param];
  return sub;
}

/** vega-embed's options: canvas, tooltips, and only the export actions (no links that leave the page). */
export const EMBED_OPTIONS = { renderer: 'canvas', tooltip: true, actions: { export: true, source: false, compiled: false, editor: false } } as const;

/**
 * The page script: each `.vis[data-spec]` container swaps its static SVG for the interactive chart;
 * if embedding fails, the static SVG is put back and the error goes to the console. Each vega View
 * is kept in `window.cltReportViews[<figure id>]` (for the console, and the browser test).
 */
export function embedScript(): string {
  return `<script>
(function () {
  var opts = ${JSON.stringify(EMBED_OPTIONS)};
  document.querySelectorAll('.vis[data-spec]').forEach(function (el) {
    var fallback = Array.prototype.slice.call(el.childNodes);
    try {
      var spec = JSON.parse(document.getElementById(el.getAttribute('data-spec')).textContent);
      el.replaceChildren();
      vegaEmbed(el, spec, opts).then(function (r) { (window.cltReportViews = window.cltReportViews || {})[el.id] = r.view; el.setAttribute('data-rendered', 'interactive'); })
        .catch(function (e) { el.replaceChildren.apply(el, fallback); el.setAttribute('data-rendered', 'static'); console.error('clt report: chart ' + el.id + ': ' + e); });
    } catch (e) { el.replaceChildren.apply(el, fallback); el.setAttribute('data-rendered', 'static'); console.error('clt report: chart ' + el.id + ': ' + e); }
  });
})();
</script>`;
}
