/**
 * The page at `/`: what a person sees first after `npm start`. A small status board with no build
 * step: health, check states, objects by kind and the latest audit records, in English or
 * Japanese. The API token is typed in once and kept in the browser's sessionStorage; the page
 * itself contains no data and needs no token to load.
 */
export function homePage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kansoku</title>
<style>
  :root { --ok:#1a7f37; --warn:#9a6700; --crit:#cf222e; --unk:#6e7781; --bg:#f6f8fa; --fg:#1f2328; --line:#d0d7de; }
  body { font: 14px/1.45 system-ui, -apple-system, "Hiragino Sans", "Noto Sans JP", sans-serif; margin: 0; color: var(--fg); background: #fff; }
  header { display:flex; gap:1rem; align-items:center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--bg); }
  header h1 { font-size: 1.1rem; margin: 0; } header .sp { flex: 1; }
  main { padding: 1rem 1.2rem; display: grid; gap: 1.2rem; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; }
  section h2 { font-size: 1rem; margin: 0 0 .5rem; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  .pill { display:inline-block; padding: 0 .5rem; border-radius: 1rem; color:#fff; font-weight:600; font-size:.8rem; }
  .ok{background:var(--ok)} .warning{background:var(--warn)} .critical{background:var(--crit)} .unknown{background:var(--unk)}
  .muted { color: #59636e; } input { font: inherit; padding: .2rem .4rem; width: 22rem; } button { font: inherit; }
  #err { color: var(--crit); }
</style>
</head>
<body>
<header>
  <h1>Kansoku 観測</h1><span class="muted" id="ver">v${version}</span><span id="health" class="pill unknown">…</span>
  <span class="sp"></span>
  <label><span data-i18n="token">API token</span> <input id="token" type="password" autocomplete="off" placeholder="ksk_…"></label>
  <button id="save" data-i18n="show">Show</button>
  <button id="lang">日本語</button>
</header>
<p id="err" style="padding:0 1.2rem"></p>
<p class="muted" style="padding:0 1.2rem" data-i18n="hint">The first admin token is in kansoku-data/admin-token. API: /api/v1/openapi.json · Metrics: /metrics</p>
<main>
  <section style="grid-column: 1 / -1"><h2 data-i18n="alerts">Alerts</h2><div id="alerts" class="muted">–</div></section>
  <section><h2 data-i18n="checks">Checks</h2><div id="checks" class="muted">–</div></section>
  <section><h2 data-i18n="objects">Objects</h2><div id="objects" class="muted">–</div></section>
  <section style="grid-column: 1 / -1"><h2 data-i18n="audit">Latest changes (audit trail)</h2><div id="audit" class="muted">–</div></section>
</main>
<script>
const T = {
  en: { token: 'API token', show: 'Show', hint: 'The first admin token is in kansoku-data/admin-token. API: /api/v1/openapi.json · Metrics: /metrics', checks: 'Checks', alerts: 'Alerts', noalerts: 'No alerts firing.', severity: 'Severity', summary: 'Summary', objects: 'Objects', audit: 'Latest changes (audit trail)', none: 'none yet', nochecks: 'No checks yet: apply a kind: Check document.', since: 'since', notoken: 'Enter an API token to see the board.', kind: 'Kind', count: 'Count', time: 'Time', actor: 'Actor', action: 'Action', object: 'Object', outcome: 'Outcome', name: 'Name', state: 'State', message: 'Message' },
  ja: { token: 'APIトークン', show: '表示', hint: '最初の管理者トークンは kansoku-data/admin-token にあります。API: /api/v1/openapi.json ・ メトリクス: /metrics', checks: '監視項目', alerts: 'アラート', noalerts: '発生中のアラートはありません。', severity: '重要度', summary: '概要', objects: 'オブジェクト', audit: '最近の変更（監査ログ）', none: 'まだありません', nochecks: '監視項目はまだありません。kind: Check を apply してください。', since: 'から', notoken: 'APIトークンを入力するとボードが表示されます。', kind: '種類', count: '件数', time: '日時', actor: '実行者', action: '操作', object: '対象', outcome: '結果', name: '名前', state: '状態', message: 'メッセージ' },
};
let lang = localStorage.getItem('kansoku.lang') || (navigator.language.startsWith('ja') ? 'ja' : 'en');
const t = (k) => T[lang][k] || k;
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
function applyLang() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach((el) => (el.textContent = t(el.dataset.i18n)));
  document.getElementById('lang').textContent = lang === 'ja' ? 'English' : '日本語';
}
async function api(path) {
  const r = await fetch(path, { headers: { authorization: 'Bearer ' + (sessionStorage.getItem('kansoku.token') || '') } });
  if (r.status === 404) return null;
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
function table(head, rows) {
  return '<table><tr>' + head.map((h) => '<th>' + esc(t(h)) + '</th>').join('') + '</tr>' + rows.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('') + '</table>';
}
async function refresh() {
  const h = await fetch('/readyz').then((r) => r.json()).catch(() => ({ status: 'down' }));
  const he = document.getElementById('health');
  he.textContent = h.status; he.className = 'pill ' + (h.status === 'ready' ? 'ok' : 'critical');
  const err = document.getElementById('err');
  if (!sessionStorage.getItem('kansoku.token')) { err.textContent = t('notoken'); return; }
  try {
    err.textContent = '';
    const checks = await api('/api/v1/checks');
    const list = checks ? (checks.checks || checks.items || []) : [];
    document.getElementById('checks').innerHTML = list.length
      ? table(['name', 'state', 'since', 'message'], list.map((c) => ['<b>' + esc(c.name) + '</b>', '<span class="pill ' + esc(c.state) + '">' + esc(c.state) + '</span>' + (c.stateType === 'soft' ? ' <span class="muted">soft</span>' : ''), esc(String(c.since || '').replace('T', ' ').slice(0, 19)), esc(c.message || '')]))
      : t('nochecks');
    const al = await api('/api/v1/alerts');
    const firing = al ? al.alerts : [];
    const sevClass = (s) => (s === 'critical' || s === 'error' ? 'critical' : s === 'warning' ? 'warning' : 'unknown');
    document.getElementById('alerts').innerHTML = firing.length
      ? table(['state', 'severity', 'name', 'summary', 'since'], firing.map((a) => [esc(a.state), '<span class="pill ' + sevClass(a.severity) + '">' + esc(a.severity) + '</span>', '<b>' + esc(a.labels.alertname) + '</b> ' + esc(a.labels.check || a.labels.service || ''), esc(a.annotations.summary || ''), esc(String(a.startsAt).replace('T', ' ').slice(0, 19))]))
      : t('noalerts');
    const objs = (await api('/api/v1/objects')).items;
    const counts = {};
    objs.forEach((o) => (counts[o.kind] = (counts[o.kind] || 0) + 1));
    document.getElementById('objects').innerHTML = objs.length ? table(['kind', 'count'], Object.entries(counts).map(([k, n]) => [esc(k), n])) : t('none');
    const audit = (await api('/api/v1/audit?limit=20')).records;
    document.getElementById('audit').innerHTML = table(['time', 'actor', 'action', 'object', 'outcome'], audit.map((r) => [esc(r.time.replace('T', ' ').slice(0, 19)), esc(r.actor.name) + ' <span class="muted">' + esc(r.actor.sourceIp || '') + '</span>', esc(r.action), r.object ? esc(r.object.kind + '/' + r.object.name) : '', '<span class="pill ' + (r.outcome === 'success' ? 'ok' : r.outcome === 'denied' ? 'warning' : 'critical') + '">' + esc(r.outcome) + '</span>']));
  } catch (e) { err.textContent = e.message; }
}
document.getElementById('save').onclick = () => { sessionStorage.setItem('kansoku.token', document.getElementById('token').value.trim()); refresh(); };
document.getElementById('lang').onclick = () => { lang = lang === 'ja' ? 'en' : 'ja'; localStorage.setItem('kansoku.lang', lang); applyLang(); refresh(); };
applyLang(); refresh(); setInterval(refresh, 10000);
</script>
</body>
</html>`;
}
