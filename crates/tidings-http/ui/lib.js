// What both pages share: Preact with htm, a JSON fetch helper and time
// formatting.
import { h, render } from "./vendor/preact.module.js";
import { useState, useEffect, useRef, useCallback } from "./vendor/hooks.module.js";
import htm from "./vendor/htm.module.js";

export const html = htm.bind(h);
export { render, useState, useEffect, useRef, useCallback };

/// Calls a JSON API with a bearer credential; throws an Error whose
/// message is the API's own (`{"error": {"code", "message"}}`).
export async function call(credential, method, path, body) {
  const init = { method, headers: { Authorization: `Bearer ${credential}` } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: { code: "bad_response", message: text.slice(0, 200) } };
  }
  if (!res.ok) {
    const e = new Error(data?.error?.message || `HTTP ${res.status}`);
    e.status = res.status;
    e.code = data?.error?.code;
    throw e;
  }
  return data;
}

const pad = (n) => String(n).padStart(2, "0");

/// Epoch milliseconds as local `YYYY-MM-DD HH:MM:SS`.
export function fmtTime(ms) {
  if (ms == null) return "—";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/// As WeChat dates a service notification: the time today, else the date.
export function fmtCardTime(ms) {
  const d = new Date(ms);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return `${d.getMonth() + 1}月${d.getDate()}日`;
}

/// Loads with `fetcher` when `deps` change: `[data, error, reload]`.
export function useLoad(fetcher, deps) {
  const [state, setState] = useState({ data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    fetcher().then(
      (data) => live && setState({ data, error: null }),
      (error) => live && setState({ data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state.data, state.error, () => setTick((t) => t + 1)];
}

/// Runs an action, showing its error or its result line.
export function useAction() {
  const [status, setStatus] = useState(null);
  const run = async (fn, ok) => {
    setStatus({ busy: true });
    try {
      const out = await fn();
      setStatus(ok ? { ok: typeof ok === "function" ? ok(out) : ok } : null);
      return out;
    } catch (e) {
      setStatus({ error: e.message });
      return undefined;
    }
  };
  const line = status?.error
    ? html`<p class="error" role="alert">${status.error}</p>`
    : status?.ok
      ? html`<p class="ok">${status.ok}</p>`
      : null;
  return [run, line, status?.busy];
}
