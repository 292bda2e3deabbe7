// The template library: search titles, read their keywords, and compose an
// app's template from them with a live preview of the recipient's card.
import { html, useState, useLoad, useAction } from "./lib.js";
import { ServiceCard } from "./cards.js";

export function Library({ api }) {
  const [q, setQ] = useState("");
  const [offset, setOffset] = useState(0);
  const [page, error] = useLoad(() => api("GET", `/library?q=${encodeURIComponent(q)}&offset=${offset}&count=20`), [q, offset]);
  const [title, setTitle] = useState(null);
  return html`
    <h1>Template library</h1>
    <div class="columns wide-right">
      <section>
        <input id="library-search" class="search" placeholder="Search titles, e.g. 订单" value=${q}
          onInput=${(e) => (setQ(e.target.value), setOffset(0))} />
        ${error && html`<p class="error">${error.message}</p>`}
        <p class="meta">${page ? `${page.total_count} titles` : "…"}</p>
        <ul class="titles" id="library-titles">
          ${(page?.items || []).map(
            (t) => html`<li key=${t.id} class=${title?.id === t.id ? "active" : ""}>
              <button class="link" onClick=${() => setTitle(t)}>${t.title}</button> <small>${t.id} · ${t.keywords.length} keywords</small>
            </li>`,
          )}
        </ul>
        <div class="pager">
          <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - 20))}>Previous</button>
          <button disabled=${!page || offset + 20 >= page.total_count} onClick=${() => setOffset(offset + 20)}>Next</button>
        </div>
      </section>
      <section>${title ? html`<${Compose} key=${title.id} api=${api} title=${title} />` : html`<p class="meta">Pick a title to see its keywords and compose a template.</p>`}</section>
    </div>`;
}

function Compose({ api, title }) {
  const [apps] = useLoad(() => api("GET", "/apps?limit=200"), []);
  const [appid, setAppid] = useState("");
  const [chosen, setChosen] = useState([]);
  const [emphasis, setEmphasis] = useState(false);
  const [created, setCreated] = useState(null);
  const [run, line] = useAction();
  const toggle = (id) => setChosen((old) => (old.includes(id) ? old.filter((k) => k !== id) : [...old, id]));
  const keywords = chosen.map((id) => title.keywords.find((k) => k.keyword_id === id));
  const rows = keywords.map((k, i) => ({ key: `keyword${i + 1}`, name: k.name, value: k.example }));
  const preview = {
    id: 0,
    title: title.title,
    rows,
    emphasis: emphasis && rows.length ? rows[0] : null,
    created_at: Date.now(),
    link: "#",
    read: true,
  };
  const miniprograms = (apps?.items || []).filter((a) => a.kind === "miniprogram");
  const create = (e) => {
    e.preventDefault();
    run(async () => setCreated(await api("POST", `/apps/${appid}/templates`, { title_id: title.id, keyword_ids: chosen })));
  };
  return html`
    <div class="compose">
      <form class="panel" onSubmit=${create}>
        <h2>${title.title} <small>${title.id}</small></h2>
        <p class="meta">Pick keywords in the order the card shows them (2 to 5).</p>
        <ul class="keywords" id="keywords">
          ${title.keywords.map(
            (k) => html`<li key=${k.keyword_id}>
              <label><input type="checkbox" data-keyword=${k.keyword_id} checked=${chosen.includes(k.keyword_id)} onChange=${() => toggle(k.keyword_id)} />
                <b>${k.name}</b> <span class="example">${k.example}</span>
                ${chosen.includes(k.keyword_id) && html`<span class="order">${chosen.indexOf(k.keyword_id) + 1}</span>`}</label>
            </li>`,
          )}
        </ul>
        <label class="check"><input type="checkbox" id="emphasis" checked=${emphasis} onChange=${(e) => setEmphasis(e.target.checked)} /> Preview the first keyword emphasized (each send picks its own)</label>
        <label>App <select id="compose-app" value=${appid} onChange=${(e) => setAppid(e.target.value)} required>
          <option value="">—</option>
          ${miniprograms.map((a) => html`<option value=${a.appid}>${a.name} (${a.appid})</option>`)}
        </select></label>
        <button type="submit" id="create-template" disabled=${chosen.length === 0 || !appid}>Create template</button>
        ${line}
        ${created && html`<p class="ok">Template <code id="created-template">${created.template_id}</code> created.</p>`}
      </form>
      <div class="preview" id="preview">
        <p class="meta">Preview</p>
        <div class="phone"><${ServiceCard} m=${preview} appName="Mini program" /></div>
      </div>
    </div>`;
}
