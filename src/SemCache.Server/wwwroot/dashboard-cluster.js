// SemCache dashboard, cluster section: polls /api/cluster (silos, partition groups per silo, forwarded calls).
'use strict';

(() => {
  const esc = t => String(t).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  async function refresh() {
    try {
      const response = await fetch('/api/cluster', { cache: 'no-store' });
      if (!response.ok) { return; }
      const view = await response.json();
      const section = document.getElementById('cluster');
      if (!view.enabled) { section.hidden = true; return; }
      section.hidden = false;
      const rows = view.silos.map(s =>
        `<tr><td>${esc(s.silo)}</td><td>${s.reachable ? 'up' : 'unreachable'}</td><td>${s.coordinatedGroups.length}</td>` +
        `<td>${Object.keys(s.copies).length}</td><td>${s.forwardedCalls}</td><td>${s.localCalls}</td>` +
        `<td>${s.movesDone} / ${s.movesPending}</td><td>${s.copiesFilled} (${s.entriesCopied} entries)</td></tr>`).join('');
      document.getElementById('cluster-silos').innerHTML =
        '<table><thead><tr><th>silo</th><th>state</th><th>groups coordinated</th><th>group copies</th>' +
        '<th>forwarded calls in</th><th>local calls</th><th>moves done / pending</th><th>copies filled</th></tr></thead><tbody>' + rows + '</tbody></table>';
    } catch {
      // The main dashboard shows the connection state; this section simply keeps its last view.
    }
  }

  refresh();
  setInterval(refresh, 5000);
})();
