// Copies the browser builds of Preact, its hooks and htm from node_modules
// into vendor/, which the server embeds. The hooks import "preact" by its
// bare name; it is rewritten to the file beside it, so that pages need no
// import map (and no inline script).
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const files = [
  ["preact/dist/preact.module.js", "preact.module.js"],
  ["preact/hooks/dist/hooks.module.js", "hooks.module.js"],
  ["htm/dist/htm.module.js", "htm.module.js"],
  ["preact/LICENSE", "LICENSE-preact"],
  ["htm/LICENSE", "LICENSE-htm"],
];
for (const [from, to] of files) {
  copyFileSync(`node_modules/${from}`, `vendor/${to}`);
}
const hooks = "vendor/hooks.module.js";
writeFileSync(hooks, readFileSync(hooks, "utf8").replaceAll('from"preact"', 'from"./preact.module.js"'));
