// The operators' console: signed in with the admin key (kept for this tab
// only), it is a client of the platform API. Screens are hash routes.
import { html, render, call, useState, useEffect } from "./lib.js";
import { Apps, AppDetail } from "./console-apps.js";
import { Library } from "./console-library.js";
import { SendRecord } from "./console-records.js";
import { Governance } from "./console-governance.js";

const KEY = "tidings.admin";

function useRoute() {
  const [route, setRoute] = useState(location.hash.slice(1) || "/apps");
  useEffect(() => {
    const on = () => setRoute(location.hash.slice(1) || "/apps");
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route.split("/").filter(Boolean);
}

function SignIn({ onKey }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    try {
      await call(key.trim(), "GET", "/api/v1/apps?limit=1");
      sessionStorage.setItem(KEY, key.trim());
      onKey(key.trim());
    } catch (err) {
      setError(err.status === 401 ? "That is not the admin key." : err.message);
    }
  };
  return html`
    <main class="signin">
      <form onSubmit=${submit} class="panel">
        <h1>Tidings</h1>
        <p>Sign in with the installation's admin key.</p>
        <label>Admin key <input id="admin-key" type="password" value=${key} onInput=${(e) => setKey(e.target.value)} autofocus /></label>
        ${error && html`<p class="error">${error}</p>`}
        <button type="submit" id="sign-in">Sign in</button>
      </form>
    </main>`;
}

function Shell({ admin, onSignOut }) {
  const [section, ...rest] = useRoute();
  const api = (method, path, body) => call(admin, method, `/api/v1${path}`, body);
  let screen;
  if (section === "apps" && rest[0]) screen = html`<${AppDetail} api=${api} appid=${rest[0]} tab=${rest[1] || "overview"} />`;
  else if (section === "library") screen = html`<${Library} api=${api} />`;
  else if (section === "sends" && rest[0]) screen = html`<${SendRecord} api=${api} id=${rest[0]} />`;
  else if (section === "governance") screen = html`<${Governance} api=${api} tab=${rest[0] || "proposals"} />`;
  else screen = html`<${Apps} api=${api} />`;
  const link = (to, label) => html`<a href="#/${to}" class=${section === to ? "active" : ""}>${label}</a>`;
  return html`
    <div class="console">
      <nav class="sidebar">
        <div class="brand">Tidings</div>
        ${link("apps", "Apps")} ${link("library", "Template library")} ${link("governance", "Governance")}
        <button class="link signout" onClick=${onSignOut}>Sign out</button>
      </nav>
      <main class="content">${screen}</main>
    </div>`;
}

function App() {
  const [admin, setAdmin] = useState(sessionStorage.getItem(KEY));
  if (!admin) return html`<${SignIn} onKey=${setAdmin} />`;
  const signOut = () => {
    sessionStorage.removeItem(KEY);
    setAdmin(null);
  };
  return html`<${Shell} admin=${admin} onSignOut=${signOut} />`;
}

render(html`<${App} />`, document.getElementById("app"));
