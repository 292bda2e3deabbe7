// A recipient's inbox: signed in by the pass in the link (`/inbox#pass=…`),
// kept for this tab only; new messages arrive live over the SSE stream.
import { html, render, call, useState, useEffect } from "./lib.js";
import { Card } from "./cards.js";

function takePass() {
  const m = location.hash.match(/pass=([A-Za-z0-9._~*-]+)/);
  if (m) {
    sessionStorage.setItem("tidings.pass", m[1]);
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("tidings.pass");
}

const PLATFORMS = ["", "IOS", "ANDROID", "PC"];

function Inbox({ pass }) {
  const [me, setMe] = useState(null);
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  const [live, setLive] = useState(false);
  const [platform, setPlatform] = useState("");
  const [next, setNext] = useState(null);

  useEffect(() => {
    call(pass, "GET", "/inbox/api/me").then(setMe, setError);
  }, [pass]);

  useEffect(() => {
    const q = platform ? `&platform=${platform}` : "";
    call(pass, "GET", `/inbox/api/messages?limit=20${q}`).then((page) => {
      setItems(page.items);
      setNext(page.next_cursor);
    }, setError);
    const es = new EventSource(`/inbox/api/stream?pass=${encodeURIComponent(pass)}${q}`);
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    es.addEventListener("message", (e) => {
      const m = JSON.parse(e.data);
      setItems((old) => (old.some((o) => o.id === m.id) ? old : [m, ...old]));
    });
    return () => es.close();
  }, [pass, platform]);

  const more = async () => {
    const q = platform ? `&platform=${platform}` : "";
    const page = await call(pass, "GET", `/inbox/api/messages?limit=20&cursor=${next}${q}`);
    setItems((old) => [...old, ...page.items]);
    setNext(page.next_cursor);
  };

  const opened = (m) => {
    if (m.read) return;
    call(pass, "POST", `/inbox/api/messages/${m.id}/read`).then((updated) =>
      setItems((old) => old.map((o) => (o.id === updated.id ? updated : o))),
    );
  };

  if (error) {
    return html`<main class="inbox"><div class="notice error">
      ${error.status === 401 ? "这个链接已失效，请向发送方重新获取。" : error.message}
    </div></main>`;
  }
  return html`
    <main class="inbox">
      <header class="inbox-head">
        <h1>服务通知</h1>
        <span class="live ${live ? "on" : ""}" id="live">${live ? "实时" : "连接中…"}</span>
      </header>
      ${me && html`<p class="whoami">${me.nickname || me.openid} · ${me.app_name}</p>`}
      ${me?.kind === "workspace" &&
      html`<nav class="tabs">
        ${PLATFORMS.map(
          (p) => html`<button class=${p === platform ? "active" : ""} onClick=${() => setPlatform(p)}>${p || "全部"}</button>`,
        )}
      </nav>`}
      <section id="messages">
        ${items.length === 0 && html`<p class="empty">暂无消息</p>`}
        ${items.map((m) => html`<${Card} key=${m.id} m=${m} appName=${me?.app_name} onOpen=${opened} />`)}
      </section>
      ${next && html`<button class="more" onClick=${more}>更早的消息</button>`}
    </main>`;
}

function App() {
  const pass = takePass();
  if (!pass) {
    return html`<main class="inbox"><div class="notice">请通过发送方提供的链接打开收件箱。</div></main>`;
  }
  return html`<${Inbox} pass=${pass} />`;
}

render(html`<${App} />`, document.getElementById("app"));
