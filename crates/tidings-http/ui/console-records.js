// Send records: an app's sends, and one send's counts, its sent / read /
// clicked timeline, click rate, recipients and clicks.
import { html, useState, useEffect, useLoad, fmtTime } from "./lib.js";

export function Records({ api, app }) {
  const [list, error] = useLoad(() => api("GET", `/apps/${app.appid}/sends?limit=50`), [app.appid]);
  if (error) return html`<p class="error">${error.message}</p>`;
  return html`
    <table class="grid" id="records">
      <thead><tr><th>#</th><th>Kind</th><th>Title</th><th>State</th><th>Expected</th><th>Delivered</th><th>Failed</th><th>Created</th></tr></thead>
      <tbody>
        ${(list?.items || []).map(
          (s) => html`<tr key=${s.id}>
            <td><a href="#/sends/${s.id}">#${s.id}</a></td><td>${s.kind}</td><td>${s.title}</td>
            <td><span class="badge ${s.state}">${s.state}</span></td>
            <td>${s.expects}</td><td>${s.oks}</td><td>${s.fails}</td><td>${fmtTime(s.created_at)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}

const SERIES = [
  ["sent", "#3370ff"],
  ["read", "#07c160"],
  ["clicked", "#fa9d3b"],
];

/// Grouped bars per bucket, drawn as SVG.
function Chart({ buckets, bucketSecs }) {
  if (!buckets.length) return html`<p class="meta">No messages yet.</p>`;
  const w = 640, h = 180, pad = 28;
  const max = Math.max(1, ...buckets.flatMap((b) => [b.sent, b.read, b.clicked]));
  const slot = (w - pad) / buckets.length;
  const bar = Math.max(1, Math.min(14, (slot - 4) / 3));
  const y = (v) => h - pad - ((h - pad - 8) * v) / max;
  const label = (ms) => new Date(ms).toLocaleTimeString([], bucketSecs >= 86400 ? { month: "numeric", day: "numeric" } : { hour: "2-digit", minute: "2-digit" });
  const step = Math.ceil(buckets.length / 8);
  return html`
    <svg class="chart" id="timeline-chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="sent, read and clicked over time">
      <line x1=${pad} y1=${h - pad} x2=${w} y2=${h - pad} class="axis" />
      <text x="2" y="12" class="tick">${max}</text>
      ${buckets.map((b, i) => {
        const x = pad + i * slot + (slot - 3 * bar) / 2;
        return html`<g key=${b.at}>
          ${SERIES.map(([k, color], j) => html`<rect x=${x + j * bar} y=${y(b[k])} width=${bar} height=${h - pad - y(b[k])} fill=${color}><title>${k} ${b[k]}</title></rect>`)}
          ${i % step === 0 && html`<text x=${pad + i * slot} y=${h - 8} class="tick">${label(b.at)}</text>`}
        </g>`;
      })}
    </svg>
    <p class="legend">${SERIES.map(([k, color]) => html`<span key=${k}><i style=${{ background: color }}></i>${k}</span>`)}</p>`;
}

export function SendRecord({ api, id }) {
  const [bucket, setBucket] = useState(60);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 2000);
    return () => clearInterval(t);
  }, []);
  const [send, error] = useLoad(() => api("GET", `/sends/${id}`), [id, tick]);
  const [timeline] = useLoad(() => api("GET", `/sends/${id}/timeline?bucket_secs=${bucket}`), [id, bucket, tick]);
  const [recipients] = useLoad(() => api("GET", `/sends/${id}/recipients?limit=100`), [id, tick]);
  const [clicks] = useLoad(() => api("GET", `/sends/${id}/clicks?limit=100`), [id, tick]);
  if (error) return html`<p class="error">${error.message}</p>`;
  if (!send) return html`<p>Loading…</p>`;
  const sum = (k) => (timeline?.buckets || []).reduce((n, b) => n + b[k], 0);
  const sent = sum("sent"), read = sum("read"), clicked = sum("clicked");
  const rate = (n) => (sent ? `${((100 * n) / sent).toFixed(1)} %` : "—");
  return html`
    <h1>Send #${send.id} <small>${send.title} · <a href="#/apps/${send.appid}/records">${send.appid}</a></small></h1>
    <div class="stats" id="send-stats">
      <div><b>${send.state}</b><span>state</span></div>
      <div><b>${send.expects}</b><span>expected</span></div>
      <div><b id="stat-sent">${sent}</b><span>sent</span></div>
      <div><b id="stat-read">${read}</b><span>read · ${rate(read)}</span></div>
      <div><b id="stat-clicked">${clicked}</b><span>clicked · <span id="click-rate">${rate(clicked)}</span></span></div>
      <div><b>${send.fails}</b><span>failed</span></div>
    </div>
    <div class="panel">
      <h2>Over time <select value=${bucket} onChange=${(e) => setBucket(Number(e.target.value))}>
        <option value="60">per minute</option><option value="3600">per hour</option><option value="86400">per day</option></select></h2>
      <${Chart} buckets=${timeline?.buckets || []} bucketSecs=${bucket} />
    </div>
    <div class="columns">
      <div class="panel">
        <h2>Recipients</h2>
        <table class="grid" id="recipients">
          <thead><tr><th>openid</th><th>Status</th><th>Read</th><th>Clicked</th></tr></thead>
          <tbody>${(recipients?.items || []).map(
            (m) => html`<tr key=${m.message_id}><td><code>${m.openid}</code></td><td><span class="badge ${m.status}">${m.status}</span></td>
              <td>${fmtTime(m.read_at)}</td><td>${fmtTime(m.clicked_at)}</td></tr>`,
          )}</tbody>
        </table>
      </div>
      <div class="panel">
        <h2>Clicks</h2>
        <table class="grid" id="clicks">
          <thead><tr><th>When</th><th>openid</th><th>Target</th></tr></thead>
          <tbody>${(clicks?.items || []).map(
            (c) => html`<tr key=${`${c.message_id}-${c.at}`}><td>${fmtTime(c.at)}</td><td><code>${c.openid}</code></td><td>${c.url}</td></tr>`,
          )}</tbody>
        </table>
      </div>
    </div>`;
}
