// Shared set-up of the browser tests: the real wsprism-server serving web/dist, Chromium
// driven by playwright-core, console-error watching and screenshots.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WEB_DIST = join(ROOT, "web/dist");
export const ARTIFACTS = join(ROOT, "tests/artifacts/browser");
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/** The flags that work as root on this project's machines (shared/TOOLCHAIN.md). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Desktop and phone viewports the page must work at. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export function serverBin() {
  const bin = process.env.WSPRISM_SERVER_BIN ??
    join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "debug/wsprism-server");
  if (!existsSync(bin)) {
    throw new Error(`no server binary at ${bin}: run \`cargo build -p wsprism-server\` (or set WSPRISM_SERVER_BIN)`);
  }
  return bin;
}

/**
 * Starts wsprism-server on a free port, serving web/dist. Resolves once it prints its
 * address (the first stdout line: `listening on http://127.0.0.1:PORT`).
 * @returns {Promise<{ url: string, stop: () => Promise<void>, stderr: () => string }>}
 */
export async function startServer() {
  if (!existsSync(join(WEB_DIST, "index.html")) || !existsSync(join(WEB_DIST, "pkg/wsprism_bg.wasm"))) {
    throw new Error("web/dist is not built: run scripts/build-web.sh");
  }
  const child = spawn(serverBin(), ["--listen", "127.0.0.1:0", "--web-dir", WEB_DIST], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  let err = "";
  child.stderr.on("data", (d) => { err = (err + d).slice(-20000); });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 20 s; stderr:\n${err}`)), 20000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code} before listening; stderr:\n${err}`));
    });
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)/.exec(line);
      if (m) ok(m[1].replace(/\/$/, ""));
      else fail(new Error(`unexpected first line from the server: ${line}`));
    });
  });
  return {
    url,
    stderr: () => err,
    stop: () => new Promise((done) => {
      if (child.exitCode !== null) return done();
      const kill = setTimeout(() => child.kill("SIGKILL"), 8000);
      child.once("exit", () => { clearTimeout(kill); done(); });
      child.kill("SIGTERM");
    }),
  };
}

/** Launches Chromium with a fresh profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "wsprism-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: DESKTOP,
    colorScheme: "light",
    reducedMotion: "reduce",
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a page and records every console error and uncaught page error: a test ends with
 * `assertClean()`.
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} url
 * @param {{ width: number, height: number }} [viewport]
 */
export async function openPage(context, url, viewport = DESKTOP) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  /** @type {string[]} */
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()} (${m.location().url}:${m.location().lineNumber})`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.stack ?? e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector("body[data-ready='true']", { timeout: 15000 });
  return { page, errors };
}

/**
 * Writes a screenshot to tests/artifacts/browser/NAME.png.
 * @param {import("playwright-core").Page} page @param {string} name
 */
export async function screenshot(page, name, fullPage = true) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Bytes from lower-case hex without separators. @param {string} hex */
export function fromHex(hex) {
  return Uint8Array.from(hex.match(/../g) ?? [], (x) => parseInt(x, 16));
}
