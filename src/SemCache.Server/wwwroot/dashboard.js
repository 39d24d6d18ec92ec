// SemCache dashboard: polls /api/dashboard and draws hand-written SVG charts (no libraries, no CDN).
'use strict';

const W = 440, H = 180, PAD = 30;

function esc(text) {
  return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function fmt(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(1) + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return String(Math.round(n * 100) / 100);
}

function svg(body) {
  return `<svg viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" role="img">${body}</svg>`;
}

function empty(id, text) {
  document.getElementById(id).innerHTML = `<div class="empty">${esc(text)}</div>`;
}

// Hit rate per sample interval, from consecutive cumulative samples.
function drawHitRate(series) {
  const points = [];
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1], b = series[i];
    const lookups = (b.exact + b.semantic + b.misses) - (a.exact + a.semantic + a.misses);
    if (lookups > 0) points.push({ t: b.time, rate: ((b.exact + b.semantic) - (a.exact + a.semantic)) / lookups });
  }
  if (points.length === 0) return empty('chart-hit-rate', 'no lookups yet');
  const t0 = points[0].t, t1 = Math.max(points[points.length - 1].t, t0 + 1);
  const x = t => PAD + (W - 2 * PAD) * (t - t0) / (t1 - t0);
  const y = r => H - PAD - (H - 2 * PAD) * r;
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.rate).toFixed(1)}`).join(' ');
  const dots = points.length === 1 ? `<circle cx="${x(points[0].t)}" cy="${y(points[0].rate)}" r="3" fill="var(--line)"/>` : '';
  document.getElementById('chart-hit-rate').innerHTML = svg(
    `<line x1="${PAD}" y1="${y(0)}" x2="${W - PAD}" y2="${y(0)}" stroke="#334"/>` +
    `<line x1="${PAD}" y1="${y(1)}" x2="${W - PAD}" y2="${y(1)}" stroke="#334" stroke-dasharray="3 3"/>` +
    `<text x="4" y="${y(1) + 4}">100%</text><text x="4" y="${y(0) + 4}">0%</text>` +
    `<path d="${path}" fill="none" stroke="var(--line)" stroke-width="2"/>${dots}`);
}

function drawKinds(totals) {
  const parts = [['exact', totals.exactHits, 'var(--exact)'], ['semantic', totals.semanticHits, 'var(--semantic)'], ['miss', totals.misses, 'var(--miss)']];
  const sum = parts.reduce((s, p) => s + p[1], 0);
  if (sum === 0) return empty('chart-kinds', 'no lookups yet');
  let x = PAD, body = '';
  for (const [name, value, color] of parts) {
    const w = (W - 2 * PAD) * value / sum;
    body += `<rect x="${x.toFixed(1)}" y="50" width="${w.toFixed(1)}" height="50" fill="${color}"><title>${name}: ${value}</title></rect>`;
    x += w;
  }
  let lx = PAD;
  for (const [name, value, color] of parts) {
    body += `<rect x="${lx}" y="125" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="134">${name} ${fmt(value)} (${(100 * value / sum).toFixed(1)}%)</text>`;
    lx += 135;
  }
  document.getElementById('chart-kinds').innerHTML = svg(body);
}

function bars(id, labels, series, colors) {
  const max = Math.max(1e-9, ...series.flat());
  const n = labels.length, groupW = (W - 2 * PAD) / n, barW = groupW * 0.8 / series.length;
  let body = `<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#334"/>`;
  labels.forEach((label, i) => {
    series.forEach((values, s) => {
      const h = (H - 2 * PAD) * values[i] / max;
      const x = PAD + i * groupW + groupW * 0.1 + s * barW;
      body += `<rect x="${x.toFixed(1)}" y="${(H - PAD - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${colors[s]}"><title>${esc(label)}: ${values[i]}</title></rect>`;
    });
    if (n <= 8 || i % Math.ceil(n / 8) === 0) body += `<text x="${(PAD + i * groupW).toFixed(1)}" y="${H - PAD + 14}">${esc(label)}</text>`;
  });
  body += `<text x="4" y="${PAD - 6}">${fmt(max)}</text>`;
  document.getElementById(id).innerHTML = svg(body);
}

function hbars(id, rows, color, unit) {
  if (rows.length === 0) return empty(id, 'nothing yet');
  const max = Math.max(1e-9, ...rows.map(r => r[1]));
  const rowH = Math.min(24, (H - 10) / rows.length);
  let body = '';
  rows.forEach(([label, value, extra], i) => {
    // Leave room right of the longest bar for its figures.
    const w = (W - 290) * value / max, y = 5 + i * rowH;
    body += `<text x="4" y="${y + rowH * 0.65}">${esc(label).slice(0, 22)}</text>` +
      `<rect x="150" y="${y}" width="${Math.max(1, w).toFixed(1)}" height="${(rowH * 0.7).toFixed(1)}" fill="${color}"/>` +
      `<text x="${(155 + w).toFixed(1)}" y="${y + rowH * 0.65}">${fmt(value)}${unit}${extra ? ' · ' + esc(extra) : ''}</text>`;
  });
  document.getElementById(id).innerHTML = svg(body);
}

function render(d) {
  const t = d.totals;
  document.getElementById('hit-rate').textContent = (100 * t.hitRate).toFixed(1) + '%';
  document.getElementById('hits').textContent = `${fmt(t.exactHits)} / ${fmt(t.semanticHits)}`;
  document.getElementById('tokens-saved').textContent = fmt(t.tokensSaved);
  document.getElementById('cost-saved').textContent = '$' + t.costSaved.toFixed(4);
  document.getElementById('latency').textContent = `${d.latencyMs.p50.toFixed(2)} / ${d.latencyMs.p99.toFixed(2)} ms`;
  document.getElementById('entries').textContent = `${fmt(d.engine.entries)} (${fmt(d.engine.bytes)}B)`;
  drawHitRate(d.series);
  drawKinds(t);
  bars('chart-latency', ['p50', 'p90', 'p99', 'p99.9'], [[d.latencyMs.p50, d.latencyMs.p90, d.latencyMs.p99, d.latencyMs.p999]], ['var(--exact)']);
  const labels = Array.from({ length: d.similarity.buckets }, (_, i) => (i / d.similarity.buckets).toFixed(2));
  bars('chart-similarity', labels, [d.similarity.hits, d.similarity.nearMisses], ['var(--semantic)', 'var(--miss)']);
  hbars('chart-vetoes', Object.entries(d.vetoes).sort((a, b) => b[1] - a[1]).slice(0, 7), 'var(--miss)', '');
  hbars('chart-tenants', d.tenants.map(x => [x.tenant, x.entries, fmt(x.bytes) + 'B']).slice(0, 7), 'var(--exact)', ' entries');
  document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString();
}

async function refresh() {
  try {
    const response = await fetch('/api/dashboard', { cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    render(await response.json());
  } catch (e) {
    document.getElementById('status').textContent = 'cannot reach the server: ' + e.message;
  }
}

refresh();
setInterval(refresh, 2000);
