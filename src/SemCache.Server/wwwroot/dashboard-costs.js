// SemCache dashboard, cost section: polls /api/costs (savings over time, top features, per model, budgets).
'use strict';

(() => {
  const esc = t => String(t).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const money = (n, cur) => (cur === 'USD' ? '$' : cur + ' ') + Number(n).toFixed(4);
  const pct = r => (r * 100).toFixed(1) + ' %';

  function drawSavings(points, cur) {
    const el = document.getElementById('chart-savings');
    if (!points.length) { el.innerHTML = '<div class="empty">no savings yet</div>'; return; }
    const W = 440, H = 180, PAD = 30;
    const max = Math.max(...points.map(p => Math.max(p.costSaved, p.spend)), 1e-9);
    const bw = (W - 2 * PAD) / points.length;
    const bars = points.map((p, i) =>
      `<rect x="${(PAD + i * bw).toFixed(1)}" y="${(H - PAD - (H - 2 * PAD) * p.costSaved / max).toFixed(1)}" width="${Math.max(bw - 1, 1).toFixed(1)}" height="${((H - 2 * PAD) * p.costSaved / max).toFixed(1)}" fill="var(--semantic)"><title>${esc(new Date(p.time).toISOString())}: saved ${esc(money(p.costSaved, cur))}, spent ${esc(money(p.spend, cur))}</title></rect>`).join('');
    el.innerHTML = `<svg viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" role="img">${bars}` +
      `<text x="${PAD}" y="${PAD - 8}">max ${esc(money(max, cur))} per 5 min</text></svg>`;
  }

  function table(id, rows, cur) {
    const el = document.getElementById(id);
    if (!rows.length) { el.innerHTML = '<div class="empty">nothing recorded yet</div>'; return; }
    el.innerHTML = '<table class="costs"><tr><th></th><th>lookups</th><th>hit rate</th><th>saved</th><th>spent</th><th>time saved</th></tr>' +
      rows.map(r => `<tr><td>${esc(r.name)}</td><td>${r.lookups}</td><td>${pct(r.hitRate)}</td><td>${esc(money(r.costSaved, cur))}</td><td>${esc(money(r.spend, cur))}</td><td>${(r.latencySavedMs / 1000).toFixed(1)} s</td></tr>`).join('') + '</table>';
  }

  function budgets(rows, cur) {
    const el = document.getElementById('budgets');
    if (!rows.length) { el.innerHTML = '<div class="empty">no budgets configured (SemCache:Budgets)</div>'; return; }
    el.innerHTML = '<table class="costs"><tr><th>budget</th><th>spend</th><th>hit rate</th><th>state</th></tr>' +
      rows.map(b => {
        const alert = b.spendExceeded || b.hitRateBelowFloor;
        const state = [b.spendExceeded ? 'over budget' : '', b.hitRateBelowFloor ? 'hit rate under floor' : ''].filter(Boolean).join(', ') || 'ok';
        return `<tr class="${alert ? 'alert' : ''}"><td>${esc(b.name)}</td><td>${esc(money(b.spend, cur))}${b.maxSpend != null ? ' / ' + esc(money(b.maxSpend, cur)) : ''}</td>` +
          `<td>${pct(b.hitRate)}${b.minHitRate != null ? ' (floor ' + pct(b.minHitRate) + ')' : ''}</td><td>${esc(state)}</td></tr>`;
      }).join('') + '</table>';
  }

  async function refresh() {
    try {
      const r = await fetch('/api/costs', { cache: 'no-store' });
      if (!r.ok) return;
      const d = await r.json();
      document.getElementById('money-spent').textContent = money(d.spend, d.currency);
      drawSavings(d.savings, d.currency);
      table('top-features', d.features, d.currency);
      table('per-model', d.models, d.currency);
      budgets(d.budgets, d.currency);
    } catch (e) {
      // The main dashboard script shows the connection state; this section just waits for the next poll.
    }
  }

  refresh();
  setInterval(refresh, 5000);
})();
