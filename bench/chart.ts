import type { Sample } from './progress';

/** One line of a chart: a run's progress samples. */
export interface ChartSeries {
  label: string;
  samples: readonly Sample[];
}

/** One panel of the chart: runs of one kind, on shared axes. */
export interface ChartPanel {
  title: string;
  series: readonly ChartSeries[];
}

/** A run's items per second on an even grid of `step` seconds, from its cumulative progress (interpolated between samples). 0 once the run has ended. */
export function evenRates(samples: readonly Sample[], step: number, until: number): number[] {
  const processedAt = (t: number): number => {
    const last = samples.at(-1) as Sample;
    if (t >= last.seconds) return last.processed;
    let i = 1;
    while (i < samples.length && (samples[i] as Sample).seconds < t) i++;
    const [a, b] = [samples[i - 1] as Sample, samples[i] as Sample];
    const span = b.seconds - a.seconds;
    return span <= 0 ? b.processed : a.processed + ((b.processed - a.processed) * (t - a.seconds)) / span;
  };
  const rates: number[] = [];
  for (let t = step; t <= until + 1e-9; t += step) rates.push(Math.round((processedAt(t) - processedAt(t - step)) / step));
  return rates;
}

function durationOf(panel: ChartPanel): number {
  return Math.max(1, ...panel.series.map((s) => s.samples.at(-1)?.seconds ?? 0));
}

/** Grid step for about `points` points over the panel's longest run, whole seconds. */
function stepFor(duration: number, points: number): number {
  return Math.max(1, Math.ceil(duration / points));
}

/** 1, 2 or 5 times a power of ten at or above `value / 4`: four gridlines up to the top. */
function niceTick(max: number, ticks = 4): number {
  const raw = Math.max(1, max) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const factor = [1, 2, 2.5, 5, 10].find((f) => f * power >= raw) ?? 10;
  return factor * power;
}

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bc4c00'];
const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A hand-written SVG line chart of items per second over run time, one panel per kind of run
 * (each with its own scale, so a 450 items/s billing run is not flattened by a 7,000 items/s
 * SYNTHETIC run), the runs of a panel on shared axes.
 */
export function throughputSvg(panels: readonly ChartPanel[]): string {
  const width = 820;
  const panelHeight = 230;
  const margin = { left: 70, right: 20, top: 46, bottom: 42 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = panelHeight - margin.top - margin.bottom;
  const parts: string[] = [];
  panels.forEach((panel, p) => {
    const y0 = p * panelHeight;
    const duration = durationOf(panel);
    // Progress moves by whole batches: rates over a few seconds read better than 1-second spikes on long runs.
    const step = stepFor(duration, 80);
    const lines = panel.series.map((series) => ({ series, rates: evenRates(series.samples, step, series.samples.at(-1)?.seconds ?? 0) }));
    const peak = Math.max(1, ...lines.flatMap((line) => line.rates));
    const yTick = niceTick(peak);
    const yMax = Math.ceil(peak / yTick) * yTick;
    const xTick = niceTick(duration, 6);
    const xMax = Math.ceil(duration / xTick - 1e-9) * xTick;
    const x = (seconds: number): number => margin.left + (seconds / xMax) * plotWidth;
    const y = (rate: number): number => y0 + margin.top + plotHeight - (rate / yMax) * plotHeight;
    parts.push(
      `<text x="${margin.left}" y="${y0 + 20}" font-size="15" font-weight="bold">${escapeXml(panel.title)}<tspan font-size="11" font-weight="normal" dx="10">items per second over ${step}-second intervals</tspan></text>`,
    );
    for (let v = 0; v <= yMax + 1e-9; v += yTick) {
      parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#d0d7de" stroke-width="1"/>`);
      parts.push(`<text x="${margin.left - 8}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`);
    }
    for (let t = 0; t <= xMax + 1e-9; t += xTick) {
      parts.push(`<text x="${x(t).toFixed(1)}" y="${y0 + margin.top + plotHeight + 16}" font-size="11" text-anchor="middle">${Number(t.toFixed(1)).toLocaleString('en-US')}</text>`);
    }
    parts.push(`<text x="${margin.left + plotWidth / 2}" y="${y0 + panelHeight - 8}" font-size="11" text-anchor="middle">seconds since the run was triggered</text>`);
    parts.push(
      `<text x="16" y="${y0 + margin.top + plotHeight / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 16 ${y0 + margin.top + plotHeight / 2})">items per second</text>`,
    );
    lines.forEach(({ series, rates }, s) => {
      const color = COLORS[s % COLORS.length] as string;
      const points = [`${x(0).toFixed(1)},${y(0).toFixed(1)}`, ...rates.map((rate, i) => `${x((i + 1) * step).toFixed(1)},${y(rate).toFixed(1)}`)];
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" stroke-linejoin="round" points="${points.join(' ')}"/>`);
      const legendX = margin.left + 10 + s * 250;
      parts.push(`<rect x="${legendX}" y="${y0 + 28}" width="14" height="4" fill="${color}"/>`);
      parts.push(`<text x="${legendX + 20}" y="${y0 + 34}" font-size="11">${escapeXml(series.label)}</text>`);
    });
  });
  const height = panels.length * panelHeight;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" fill="#1f2328">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** The same panel as a mermaid `xychart-beta` block (GitHub renders it): the runs on one grid, 0 after a run ended. */
export function mermaidChart(panel: ChartPanel): string {
  const duration = durationOf(panel);
  const step = stepFor(duration, 60);
  const grid = Math.ceil(duration / step) * step;
  const lines = panel.series.map((series) => evenRates(series.samples, step, grid));
  const peak = Math.max(1, ...lines.flat());
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${panel.title.replace(/"/g, "'")} (${panel.series.map((s, i) => `line ${i + 1}: ${s.label}`).join('; ')})"`,
    `  x-axis "seconds since the run was triggered (every ${step} s)" 0 --> ${grid}`,
    `  y-axis "items per second" 0 --> ${Math.ceil(peak * 1.05)}`,
    ...lines.map((rates) => `  line [${rates.join(', ')}]`),
    '```',
  ].join('\n');
}
