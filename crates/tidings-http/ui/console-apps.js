// Apps: the list, creating one, and an app's screens (settings and quota,
// users and tags, templates, sending, records, webhooks, penalties).
import { html, useState, useLoad, useAction, fmtTime } from "./lib.js";
import { SendForm } from "./console-send.js";
import { Records } from "./console-records.js";
import { Penalties } from "./console-governance.js";

const KINDS = { miniprogram: "Mini program", official_account: "Official account", workspace: "Workspace" };

export function Apps({ api }) {
  const [list, error, reload] = useLoad(() => api("GET", "/apps?limit=200"), []);
  const [name, setName] = useState("");
  const [kind, setKind] = useState("miniprogram");
  const [created, setCreated] = useState(null);
  const [run, line] = useAction();
  const create = (e) => {
    e.preventDefault();
    run(async () => {
      const app = await api("POST", "/apps", { name, kind });
      setCreated(app);
      setName("");
      reload();
    });
  };
  return html`
    <h1>Apps</h1>
    <form class="panel inline" onSubmit=${create}>
      <h2>New app</h2>
      <label>Name <input id="app-name" value=${name} onInput=${(e) => setName(e.target.value)} required /></label>
      <label>Kind <select id="app-kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
        ${Object.entries(KINDS).map(([k, v]) => html`<option value=${k}>${v}</option>`)}
      </select></label>
      <button type="submit" id="create-app">Create</button>
      ${line}
    </form>
    ${created &&
    html`<div class="panel secret" id="created-app">
      <p>Created <a href="#/apps/${created.appid}"><code class="appid">${created.appid}</code></a>. Its secret is shown once:</p>
      <code class="secret-value">${created.secret}</code>
    </div>`}
    ${error && html`<p class="error">${error.message}</p>`}
    <table class="grid" id="apps">
      <thead><tr><th>App</th><th>appid</th><th>Kind</th><th>Status</th><th>Daily limit</th><th>Created</th></tr></thead>
      <tbody>
        ${(list?.items || []).map(
          (a) => html`<tr key=${a.appid}>
            <td><a href="#/apps/${a.appid}">${a.name}</a></td><td><code>${a.appid}</code></td>
            <td>${KINDS[a.kind]}</td><td><span class="badge ${a.status}">${a.status}</span></td>
            <td>${a.daily_send_limit.toLocaleString()}</td><td>${fmtTime(a.created_at)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}

const TABS = [
  ["overview", "Settings"],
  ["users", "Users & tags"],
  ["templates", "Templates"],
  ["send", "Send"],
  ["records", "Records"],
  ["webhooks", "Webhooks"],
  ["penalties", "Penalties"],
];

export function AppDetail({ api, appid, tab }) {
  const [app, error, reload] = useLoad(() => api("GET", `/apps/${appid}`), [appid]);
  if (error) return html`<p class="error">${error.message}</p>`;
  if (!app) return html`<p>Loading…</p>`;
  const body = {
    overview: html`<${Settings} api=${api} app=${app} reload=${reload} />`,
    users: html`<${Users} api=${api} app=${app} />`,
    templates: html`<${Templates} api=${api} app=${app} />`,
    send: html`<${SendForm} api=${api} app=${app} />`,
    records: html`<${Records} api=${api} app=${app} />`,
    webhooks: html`<${Webhooks} api=${api} app=${app} />`,
    penalties: html`<${Penalties} api=${api} appid=${app.appid} />`,
  }[tab];
  return html`
    <h1>${app.name} <small><code>${app.appid}</code> · ${KINDS[app.kind]}</small></h1>
    <nav class="tabs">
      ${TABS.map(([t, label]) => html`<a href="#/apps/${appid}/${t}" class=${t === tab ? "active" : ""} id="tab-${t}">${label}</a>`)}
    </nav>
    ${body}`;
}

function Settings({ api, app, reload }) {
  const [name, setName] = useState(app.name);
  const [pages, setPages] = useState((app.pages || []).join("\n"));
  const [limit, setLimit] = useState(String(app.daily_send_limit));
  const [secret, setSecret] = useState(null);
  const [run, line] = useAction();
  const save = (e) => {
    e.preventDefault();
    const patch = { name, daily_send_limit: Number(limit) };
    if (app.kind === "miniprogram") patch.pages = pages.split("\n").map((p) => p.trim()).filter(Boolean);
    run(() => api("PATCH", `/apps/${app.appid}`, patch).then(reload), "Saved.");
  };
  const rotate = () =>
    run(async () => setSecret((await api("POST", `/apps/${app.appid}/rotate-secret`)).secret), "Secret rotated: the old one no longer works.");
  return html`
    <form class="panel" onSubmit=${save}>
      <h2>Settings and quota</h2>
      <label>Name <input value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <label>Sends per day <input id="daily-limit" type="number" min="1" value=${limit} onInput=${(e) => setLimit(e.target.value)} /></label>
      ${app.kind === "miniprogram" &&
      html`<label>Pages (one per line, e.g. pages/index/index)
        <textarea id="pages" rows="4" value=${pages} onInput=${(e) => setPages(e.target.value)}></textarea></label>`}
      <button type="submit" id="save-app">Save</button>
      ${line}
    </form>
    <div class="panel">
      <h2>Secret</h2>
      <p>Secrets are stored hashed; rotating shows the new one once.</p>
      <button onClick=${rotate} id="rotate-secret">Rotate secret</button>
      ${secret && html`<code class="secret-value" id="new-secret">${secret}</code>`}
    </div>
    <p class="meta">Status ${app.status} · created ${fmtTime(app.created_at)} · updated ${fmtTime(app.updated_at)}</p>`;
}

function Users({ api, app }) {
  const [tags, , reloadTags] = useLoad(() => api("GET", `/apps/${app.appid}/tags`), [app.appid]);
  const [openid, setOpenid] = useState("");
  const [nickname, setNickname] = useState("");
  const [tagName, setTagName] = useState("");
  const [tagId, setTagId] = useState("");
  const [tagged, setTagged] = useState("");
  const [passFor, setPassFor] = useState("");
  const [pass, setPass] = useState(null);
  const [run, line] = useAction();
  const addUser = (e) => {
    e.preventDefault();
    const body = { nickname: nickname || undefined, openid: openid || undefined };
    run(() => api("POST", `/apps/${app.appid}/users`, body), (u) => `User ${u.openid} added.`);
  };
  const addTag = (e) => {
    e.preventDefault();
    run(() => api("POST", `/apps/${app.appid}/tags`, { name: tagName }).then((t) => (reloadTags(), t)), (t) => `Tag ${t.name} (${t.id}) created.`);
  };
  const tagUsers = (e) => {
    e.preventDefault();
    const openids = tagged.split(/[\s,]+/).filter(Boolean);
    run(() => api("POST", `/apps/${app.appid}/tags/${tagId}/users`, { openids }), (r) => `${r.changed} tagged.`);
  };
  const issuePass = (e) => {
    e.preventDefault();
    run(() => api("POST", `/apps/${app.appid}/users/${passFor.trim()}/inbox-passes`, {}).then(setPass));
  };
  return html`
    <div class="columns">
      <form class="panel" onSubmit=${addUser}>
        <h2>Add a user</h2>
        <label>openid (blank: generated) <input id="user-openid" value=${openid} onInput=${(e) => setOpenid(e.target.value)} /></label>
        <label>Nickname <input id="user-nickname" value=${nickname} onInput=${(e) => setNickname(e.target.value)} /></label>
        <button type="submit" id="add-user">Add</button>
      </form>
      <form class="panel" onSubmit=${addTag}>
        <h2>Tags</h2>
        <ul class="tags">${(tags?.items || []).map((t) => html`<li key=${t.id}>${t.name} <small>#${t.id}</small></li>`)}</ul>
        <label>New tag <input id="tag-name" value=${tagName} onInput=${(e) => setTagName(e.target.value)} required /></label>
        <button type="submit" id="add-tag">Create tag</button>
      </form>
      <form class="panel" onSubmit=${tagUsers}>
        <h2>Tag users</h2>
        <label>Tag <select id="tag-select" value=${tagId} onChange=${(e) => setTagId(e.target.value)} required>
          <option value="">—</option>
          ${(tags?.items || []).map((t) => html`<option value=${t.id}>${t.name}</option>`)}
        </select></label>
        <label>openids <textarea id="tag-openids" rows="3" value=${tagged} onInput=${(e) => setTagged(e.target.value)}></textarea></label>
        <button type="submit" id="tag-users">Tag</button>
      </form>
      <form class="panel" onSubmit=${issuePass}>
        <h2>Recipient inbox</h2>
        <p>A link that opens one user's inbox in a browser (30 days).</p>
        <label>openid <input id="pass-openid" value=${passFor} onInput=${(e) => setPassFor(e.target.value)} required /></label>
        <button type="submit" id="issue-pass">Issue link</button>
        ${pass && html`<p><a id="inbox-link" href=${pass.url} target="_blank" rel="noopener">Open the inbox</a> (until ${fmtTime(pass.expires_at)})</p>`}
      </form>
    </div>
    ${line}`;
}

function Templates({ api, app }) {
  const [list, error, reload] = useLoad(() => api("GET", `/apps/${app.appid}/templates?count=20`), [app.appid]);
  const [run, line] = useAction();
  const remove = (id) => run(() => api("DELETE", `/apps/${app.appid}/templates/${id}`).then(reload), "Deleted.");
  if (error) return html`<p class="error">${error.message}</p>`;
  return html`
    <p>Compose new templates from the <a href="#/library">template library</a>.</p>
    <table class="grid" id="templates">
      <thead><tr><th>Title</th><th>Keywords</th><th>template_id</th><th>Created</th><th></th></tr></thead>
      <tbody>
        ${(list?.items || []).map(
          (t) => html`<tr key=${t.template_id}>
            <td>${t.title}</td><td>${t.keywords.map((k) => k.name).join(" · ")}</td>
            <td><code>${t.template_id}</code></td><td>${fmtTime(t.created_at)}</td>
            <td><button class="link" onClick=${() => remove(t.template_id)}>Delete</button></td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${line}`;
}

const EVENTS = ["message.accepted", "message.delivered", "message.read", "message.clicked", "message.failed", "send.finished", "app.penalized"];

function Webhooks({ api, app }) {
  const [list, , reload] = useLoad(() => api("GET", `/apps/${app.appid}/webhooks`), [app.appid]);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState(["message.clicked", "send.finished"]);
  const [secret, setSecret] = useState(null);
  const [run, line] = useAction();
  const toggle = (ev) => setEvents((old) => (old.includes(ev) ? old.filter((e) => e !== ev) : [...old, ev]));
  const create = (e) => {
    e.preventDefault();
    run(async () => {
      const hook = await api("POST", `/apps/${app.appid}/webhooks`, { url, event_types: events });
      setSecret(hook.secret);
      reload();
    }, "Endpoint added.");
  };
  const remove = (id) => run(() => api("DELETE", `/apps/${app.appid}/webhooks/${id}`).then(reload), "Removed.");
  return html`
    <form class="panel" onSubmit=${create}>
      <h2>New endpoint</h2>
      <label>URL <input id="webhook-url" type="url" value=${url} onInput=${(e) => setUrl(e.target.value)} required /></label>
      <fieldset class="checks">${EVENTS.map(
        (ev) => html`<label key=${ev}><input type="checkbox" checked=${events.includes(ev)} onChange=${() => toggle(ev)} /> ${ev}</label>`,
      )}</fieldset>
      <button type="submit" id="add-webhook">Add endpoint</button>
      ${secret && html`<p>Signing secret, shown once: <code class="secret-value">${secret}</code></p>`}
      ${line}
    </form>
    <table class="grid" id="webhooks">
      <thead><tr><th>URL</th><th>Events</th><th>Created</th><th></th></tr></thead>
      <tbody>
        ${(list?.items || []).map(
          (w) => html`<tr key=${w.id}><td>${w.url}</td><td>${w.event_types.join(", ")}</td><td>${fmtTime(w.created_at)}</td>
            <td><button class="link" onClick=${() => remove(w.id)}>Remove</button></td></tr>`,
        )}
      </tbody>
    </table>`;
}
