// Sending: one user, a list of openids, tags or everyone, with the job's
// progress until it finishes.
import { html, useState, useEffect, useLoad, useAction } from "./lib.js";

const DONE = ["finished", "failed", "cancelled"];

export function Progress({ api, id }) {
  const [send, setSend] = useState(null);
  useEffect(() => {
    let timer;
    const poll = async () => {
      const s = await api("GET", `/sends/${id}`);
      setSend(s);
      if (!DONE.includes(s.state)) timer = setTimeout(poll, 500);
    };
    poll();
    return () => clearTimeout(timer);
  }, [id]);
  if (!send) return null;
  const done = send.oks + send.fails;
  const pct = send.expects ? Math.round((100 * done) / send.expects) : send.state === "finished" ? 100 : 0;
  return html`
    <div class="panel progress" id="send-progress" data-state=${send.state}>
      <p>
        Send <a href="#/sends/${send.id}">#${send.id}</a>: <b class="state">${send.state}</b>${`, ${done.toLocaleString()} of ${send.expects.toLocaleString()} (${send.fails} failed)`}
      </p>
      <div class="bar"><div style=${{ width: `${pct}%` }}></div></div>
    </div>`;
}

export function SendForm({ api, app }) {
  const [templates, error] = useLoad(() => api("GET", `/apps/${app.appid}/templates?count=20`), [app.appid]);
  const [tags] = useLoad(() => api("GET", `/apps/${app.appid}/tags`), [app.appid]);
  const [templateId, setTemplateId] = useState("");
  const [values, setValues] = useState({});
  const [page, setPage] = useState("");
  const [emphasis, setEmphasis] = useState("");
  const [mode, setMode] = useState("tags");
  const [openids, setOpenids] = useState("");
  const [tagIds, setTagIds] = useState([]);
  const [match, setMatch] = useState("any");
  const [sendId, setSendId] = useState(null);
  const [run, line] = useAction();
  const template = (templates?.items || []).find((t) => t.template_id === templateId);
  const choose = (id) => {
    setTemplateId(id);
    const t = templates.items.find((x) => x.template_id === id);
    setValues(Object.fromEntries((t?.keywords || []).map((k, i) => [`keyword${i + 1}`, k.example])));
  };
  const audience = () => {
    const ids = openids.split(/[\s,]+/).filter(Boolean);
    if (mode === "single") return { openids: ids.slice(0, 1) };
    if (mode === "openids") return { openids: ids };
    if (mode === "all") return { all: true };
    return { tag_ids: tagIds.map(Number), match };
  };
  const send = (e) => {
    e.preventDefault();
    const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }]));
    run(async () => {
      const s = await api("POST", `/apps/${app.appid}/sends`, {
        template_id: templateId,
        data,
        page: page || undefined,
        emphasis_keyword: emphasis || undefined,
        audience: audience(),
      });
      setSendId(s.id);
    });
  };
  if (error) return html`<p class="error">${error.message}</p>`;
  return html`
    <form class="panel" onSubmit=${send} id="send-form">
      <h2>Send</h2>
      <label>Template <select id="send-template" value=${templateId} onChange=${(e) => choose(e.target.value)} required>
        <option value="">—</option>
        ${(templates?.items || []).map((t) => html`<option value=${t.template_id}>${t.title} (${t.template_id.slice(0, 8)}…)</option>`)}
      </select></label>
      ${template &&
      html`<fieldset class="values"><legend>Keyword values — <code>{{PROFILE-nickname}}</code> is replaced per recipient</legend>
        ${template.keywords.map(
          (k, i) => html`<label key=${i}>${k.name} <input data-key=${`keyword${i + 1}`} value=${values[`keyword${i + 1}`] || ""}
            onInput=${(e) => setValues({ ...values, [`keyword${i + 1}`]: e.target.value })} /></label>`,
        )}
      </fieldset>
      <label>Shown large <select id="send-emphasis" value=${emphasis} onChange=${(e) => setEmphasis(e.target.value)}>
        <option value="">(none)</option>
        ${template.keywords.map((k, i) => html`<option value=${`keyword${i + 1}.DATA`}>${k.name}</option>`)}
      </select></label>`}
      ${app.kind === "miniprogram" &&
      html`<label>Page <select id="send-page" value=${page} onChange=${(e) => setPage(e.target.value)}>
        <option value="">(none)</option>${(app.pages || []).map((p) => html`<option value=${p}>${p}</option>`)}
      </select></label>`}
      <fieldset class="audience"><legend>Recipients</legend>
        ${[["single", "One user"], ["openids", "openid list"], ["tags", "Tags"], ["all", "Everyone"]].map(
          ([m, label]) => html`<label key=${m}><input type="radio" name="mode" value=${m} checked=${mode === m} onChange=${() => setMode(m)} /> ${label}</label>`,
        )}
      </fieldset>
      ${(mode === "single" || mode === "openids") &&
      html`<label>${mode === "single" ? "openid" : "openids (one per line)"}
        <textarea id="send-openids" rows=${mode === "single" ? 1 : 4} value=${openids} onInput=${(e) => setOpenids(e.target.value)}></textarea></label>`}
      ${mode === "tags" &&
      html`<div class="tag-picks">
        ${(tags?.items || []).map(
          (t) => html`<label key=${t.id}><input type="checkbox" data-tag=${t.id} checked=${tagIds.includes(t.id)}
            onChange=${() => setTagIds((old) => (old.includes(t.id) ? old.filter((x) => x !== t.id) : [...old, t.id]))} /> ${t.name}</label>`,
        )}
        <label>Match <select value=${match} onChange=${(e) => setMatch(e.target.value)}><option value="any">any tag</option><option value="all">all tags</option></select></label>
      </div>`}
      <button type="submit" id="send-button" disabled=${!templateId}>Send</button>
      ${line}
    </form>
    ${sendId && html`<${Progress} key=${sendId} api=${api} id=${sendId} />`}`;
}
