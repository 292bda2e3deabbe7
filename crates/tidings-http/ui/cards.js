// The two cards a recipient sees: a service notification (服务通知) as
// WeChat shows it, and a workspace message-box card. The console's compose
// preview draws the same components.
import { html, fmtCardTime } from "./lib.js";

/// Title, time, the emphasized keyword large, keyword rows in their colors,
/// and 查看详情 through the tracked link.
export function ServiceCard({ m, appName, onOpen }) {
  const rows = m.rows.filter((r) => !m.emphasis || r.key !== m.emphasis.key);
  return html`
    <article class="card service ${m.read ? "" : "unread"}" data-message-id=${m.id}>
      <header class="card-app">
        <span class="app-dot"></span><span>${appName || "服务通知"}</span>
        <time>${fmtCardTime(m.created_at)}</time>
      </header>
      <h3 class="card-title">${m.title}</h3>
      ${m.emphasis &&
      html`<div class="emphasis">
        <div class="emphasis-name">${m.emphasis.name}</div>
        <div class="emphasis-value" style=${{ color: m.emphasis.color || undefined }}>${m.emphasis.value}</div>
      </div>`}
      <dl class="rows">
        ${rows.map(
          (r) => html`<div class="row" key=${r.key}>
            <dt>${r.name}</dt>
            <dd style=${{ color: r.color || undefined }}>${r.value}</dd>
          </div>`,
        )}
      </dl>
      ${m.link &&
      html`<a class="card-more" href=${m.link} target="_blank" rel="noopener" onClick=${() => onOpen && onOpen(m)}>
        <span>查看详情</span><span class="chevron">›</span>
      </a>`}
    </article>`;
}

function Span({ s }) {
  const style = {
    color: s.color || undefined,
    fontSize: s.font_size ? `${s.font_size}px` : undefined,
    fontWeight: s.text_style === "bold" ? "600" : undefined,
  };
  return html`<span style=${style}>${s.text}</span>`;
}

/// The sender's avatar when it is a URL; otherwise (a media id, or none)
/// the first character of the title in a circle.
function Avatar({ src, title }) {
  if (typeof src === "string" && /^(https:\/\/|\/|data:image\/)/.test(src)) {
    return html`<img class="ws-avatar" src=${src} alt="" />`;
  }
  return html`<span class="ws-avatar letter">${(title || "?").slice(0, 1)}</span>`;
}

/// Top title on its color with the avatar, rows of aligned cells, actions.
export function WorkspaceCard({ m, onOpen }) {
  const c = m.card || {};
  return html`
    <article class="card workspace ${m.read ? "" : "unread"}" data-message-id=${m.id}>
      <header class="ws-top" style=${{ background: c.top_color || "#3370ff" }}>
        <${Avatar} src=${c.top_avatar} title=${c.top_title || m.title} />
        <span class="ws-title">${c.top_title || m.title}</span>
        <time>${fmtCardTime(m.created_at)}</time>
      </header>
      <div class="ws-rows">
        ${(c.rows || []).map(
          (row, i) => html`<div class="ws-row" key=${i}>
            ${row.map(
              (cell, j) => html`<div class="ws-cell" key=${j} style=${{ textAlign: cell.align || "left" }}>
                ${(cell.spans || []).map((s, k) => html`<${Span} key=${k} s=${s} />`)}
              </div>`,
            )}
          </div>`,
        )}
      </div>
      ${(c.actions || []).length > 0 &&
      html`<footer class="ws-actions">
        ${c.actions.map(
          (a, i) => html`<a class="ws-action" key=${i} href=${a.link || a.url} target="_blank" rel="noopener"
              onClick=${() => onOpen && onOpen(m)}>${a.name}</a>`,
        )}
      </footer>`}
    </article>`;
}

export function Card({ m, appName, onOpen }) {
  return m.card
    ? html`<${WorkspaceCard} m=${m} onOpen=${onOpen} />`
    : html`<${ServiceCard} m=${m} appName=${appName} onOpen=${onOpen} />`;
}
