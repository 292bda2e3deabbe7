// Governance: title proposals and their review, complaints and their
// decisions, and an app's penalties.
import { html, useState, useLoad, useAction, fmtTime } from "./lib.js";

export function Governance({ api, tab }) {
  const tabs = [["proposals", "Proposals"], ["complaints", "Complaints"], ["penalties", "Penalties"]];
  return html`
    <h1>Governance</h1>
    <nav class="tabs">${tabs.map(([t, label]) => html`<a href="#/governance/${t}" class=${t === tab ? "active" : ""}>${label}</a>`)}</nav>
    ${tab === "complaints" ? html`<${Complaints} api=${api} />` : tab === "penalties" ? html`<${AllPenalties} api=${api} />` : html`<${Proposals} api=${api} />`}`;
}

function Proposals({ api }) {
  const [state, setState] = useState("");
  const [list, , reload] = useLoad(() => api("GET", `/library/proposals?limit=100${state ? `&state=${state}` : ""}`), [state]);
  const [title, setTitle] = useState("");
  const [keywords, setKeywords] = useState("");
  const [result, setResult] = useState(null);
  const [run, line] = useAction();
  const propose = (e) => {
    e.preventDefault();
    const kws = keywords.split("\n").map((l) => l.split(/[:：]/)).filter((p) => p[0].trim())
      .map(([name, ...ex]) => ({ name: name.trim(), example: ex.join(":").trim() }));
    run(async () => {
      setResult(await api("POST", "/library/proposals", { title, keywords: kws }));
      reload();
    });
  };
  const decide = (id, verb) => run(() => api("POST", `/library/proposals/${id}/${verb}`).then(reload), `Proposal ${id}: ${verb}d.`);
  return html`
    <form class="panel" onSubmit=${propose}>
      <h2>Propose a title</h2>
      <label>Title <input id="proposal-title" value=${title} onInput=${(e) => setTitle(e.target.value)} required /></label>
      <label>Keywords, one per line as <code>name: example</code>
        <textarea id="proposal-keywords" rows="4" value=${keywords} onInput=${(e) => setKeywords(e.target.value)}></textarea></label>
      <button type="submit">Submit for review</button>
      ${line}
      ${result && html`<div class="verdict ${result.state}" id="verdict"><b>${result.state}</b>
        <ul>${result.violations.map((v) => html`<li key=${v.rule}><code>${v.rule}</code> ${v.message}</li>`)}</ul></div>`}
    </form>
    <label class="filter">Show <select value=${state} onChange=${(e) => setState(e.target.value)}>
      <option value="">all</option><option value="pending">pending</option><option value="approved">approved</option><option value="rejected">rejected</option></select></label>
    <table class="grid" id="proposals">
      <thead><tr><th>#</th><th>Title</th><th>Keywords</th><th>State</th><th>Rules broken</th><th>Created</th><th></th></tr></thead>
      <tbody>${(list?.items || []).map(
        (p) => html`<tr key=${p.id}><td>${p.id}</td><td>${p.title}</td><td>${p.keywords.map((k) => k.name).join(" · ")}</td>
          <td><span class="badge ${p.state}">${p.state}</span></td><td>${p.violations.map((v) => v.rule).join(", ")}</td>
          <td>${fmtTime(p.created_at)}</td>
          <td>${p.state === "pending" && html`<button class="link" onClick=${() => decide(p.id, "approve")}>Approve</button>
            <button class="link" onClick=${() => decide(p.id, "reject")}>Reject</button>`}</td></tr>`,
      )}</tbody>
    </table>`;
}

function Complaints({ api }) {
  const [list, , reload] = useLoad(() => api("GET", "/complaints?limit=100"), []);
  const [run, line] = useAction();
  const decide = (id, verb) => run(() => api("POST", `/complaints/${id}/${verb}`).then(reload), `Complaint ${id}: ${verb === "confirm" ? "confirmed" : "dismissed"}.`);
  return html`
    ${line}
    <table class="grid" id="complaints">
      <thead><tr><th>#</th><th>App</th><th>openid</th><th>Message</th><th>Reason</th><th>State</th><th>Filed</th><th></th></tr></thead>
      <tbody>${(list?.items || []).map(
        (c) => html`<tr key=${c.id}><td>${c.id}</td><td><a href="#/apps/${c.appid}/penalties">${c.appid}</a></td><td><code>${c.openid}</code></td>
          <td>${c.message_id}</td><td>${c.reason}${c.text ? ` — ${c.text}` : ""}</td><td><span class="badge ${c.state}">${c.state}</span></td>
          <td>${fmtTime(c.created_at)}</td>
          <td>${c.state === "pending" && html`<button class="link" onClick=${() => decide(c.id, "confirm")}>Confirm</button>
            <button class="link" onClick=${() => decide(c.id, "dismiss")}>Dismiss</button>`}</td></tr>`,
      )}</tbody>
    </table>`;
}

/// One app's penalties, as the app's Penalties tab shows them.
export function Penalties({ api, appid }) {
  const [list, error] = useLoad(() => api("GET", `/apps/${appid}/penalties`), [appid]);
  if (error) return html`<p class="error">${error.message}</p>`;
  const items = list?.items || [];
  if (!items.length) return html`<p class="meta">No penalties.</p>`;
  return html`
    <table class="grid penalties">
      <thead><tr><th>nth</th><th>Action</th><th>Template</th><th>From</th><th>Until</th></tr></thead>
      <tbody>${items.map(
        (p) => html`<tr key=${p.id}><td>${p.nth}</td><td>${p.action}</td><td>${p.template_id || "—"}</td>
          <td>${fmtTime(p.starts_at)}</td><td>${p.permanent ? "for good" : fmtTime(p.ends_at)}</td></tr>`,
      )}</tbody>
    </table>`;
}

function AllPenalties({ api }) {
  const [apps] = useLoad(() => api("GET", "/apps?limit=200"), []);
  const [appid, setAppid] = useState("");
  return html`
    <label>App <select value=${appid} onChange=${(e) => setAppid(e.target.value)}>
      <option value="">—</option>${(apps?.items || []).map((a) => html`<option value=${a.appid}>${a.name} (${a.appid})</option>`)}</select></label>
    ${appid && html`<${Penalties} key=${appid} api=${api} appid=${appid} />`}`;
}
