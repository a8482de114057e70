// The playground's entry point: loads the wasm codec, then wires the three panes (build,
// decode, live) to the shared inspector. Each pane keeps the last frame it showed, so
// switching tabs brings its frame back.

import init, * as codec from "../pkg/wsprism.js";
import { Builder } from "./builder.js";
import { Decoder } from "./decoder.js";
import { byId } from "./dom.js";
import { Inspector } from "./inspector.js";
import { Live } from "./live.js";

/** @typedef {import("./inspector.js").Shown} Shown */
/** @typedef {"build" | "decode" | "live"} Tab */

/** @type {Tab[]} */
const TABS = ["build", "decode", "live"];

async function main() {
  await init();
  const inspector = new Inspector(byId("inspector", HTMLElement));
  /** @type {Record<Tab, Shown | string>} */
  const last = {
    build: "",
    decode: "Paste a frame in hex on the left, or pick an example.",
    live: "Connect, send a message, and pick a frame on the timeline.",
  };
  let active = /** @type {Tab} */ ("build");
  /** @param {Tab} tab */
  const showFor = (tab) => (/** @type {Shown | string} */ s) => {
    last[tab] = s;
    if (tab === active) inspector.show(s);
  };

  const builder = new Builder(codec, showFor("build"));
  const decoder = new Decoder(codec, showFor("decode"));
  new Live(codec, showFor("live"));

  const tabs = TABS.map((t) => byId(`tab-${t}`, HTMLButtonElement));
  /** @param {Tab} tab @param {boolean} [focus] */
  const select = (tab, focus = false) => {
    active = tab;
    TABS.forEach((t, i) => {
      const on = t === tab;
      tabs[i].setAttribute("aria-selected", String(on));
      tabs[i].tabIndex = on ? 0 : -1;
      byId(`pane-${t}`, HTMLElement).hidden = !on;
    });
    if (focus) tabs[TABS.indexOf(tab)].focus();
    document.body.dataset.tab = tab;
    byId("l-timeline-card", HTMLElement).hidden = tab !== "live";
    if (location.hash !== `#${tab}`) history.replaceState(null, "", `#${tab}`);
    inspector.show(last[tab]);
  };
  tabs.forEach((b, i) => {
    b.addEventListener("click", () => select(TABS[i]));
    b.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (step) {
        e.preventDefault();
        select(TABS[(i + step + TABS.length) % TABS.length], true);
      } else if (e.key === "Home" || e.key === "End") {
        e.preventDefault();
        select(TABS[e.key === "Home" ? 0 : TABS.length - 1], true);
      }
    });
  });
  byId("b-to-decoder", HTMLButtonElement).addEventListener("click", () => {
    if (!builder.bytes) return;
    select("decode");
    decoder.load(byId("b-out", HTMLOutputElement).dataset.hex ?? "");
    byId("d-input", HTMLTextAreaElement).focus();
  });
  window.addEventListener("hashchange", () => {
    const t = location.hash.slice(1);
    if (TABS.includes(/** @type {Tab} */ (t))) select(/** @type {Tab} */ (t));
  });
  const start = location.hash.slice(1);
  select(TABS.includes(/** @type {Tab} */ (start)) ? /** @type {Tab} */ (start) : "build");
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  const box = document.getElementById("fatal");
  if (box) {
    box.hidden = false;
    box.textContent = `The playground could not start: ${e instanceof Error ? e.message : String(e)}`;
  }
  throw e;
});
