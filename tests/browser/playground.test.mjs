// End-to-end tests of the playground (web/, served by the real wsprism-server): the RFC 6455
// §5.7 examples built with the controls, decoding pasted frames (valid, broken, partial),
// live mode against /inspect, keyboard and pointer cross-highlighting, and the phone layout.
// Each test fails on any console error, page error or failed request, and writes
// screenshots to tests/artifacts/browser/.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import zlib from "node:zlib";
import {
  DESKTOP, PHONE, fromHex, launchBrowser, openPage, screenshot, startServer,
} from "./helpers.mjs";

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>>} */
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens the page at a tab; the returned `done()` asserts no errors were seen and closes. */
async function open(tab, viewport = DESKTOP) {
  const { page, errors } = await openPage(browser.context, `${server.url}/#${tab}`, viewport);
  return {
    page,
    done: async () => {
      assert.deepEqual(errors, [], "console errors, page errors or failed requests");
      await page.close();
    },
  };
}

/** The RFC's own bytes for its §5.7 examples (RFC 6455 §5.7, verbatim). */
const RFC_5_7 = {
  unmaskedHello: "810548656c6c6f",
  maskedHello: "818537fa213d7f9f4d5158",
  fragment1: "010348656c",
  fragment2: "80026c6f",
  unmaskedPing: "890548656c6c6f",
  maskedPong: "8a8537fa213d7f9f4d5158",
  binary256Header: "827e0100",
  binary64KiBHeader: "827f0000000000010000",
};

/**
 * Sets the builder's controls one by one, as a user would, and returns the frame's hex.
 * @param {import("playwright-core").Page} page
 * @param {{ fin?: boolean, opcode: number, key?: string, text?: string, size?: number, byte?: string }} f
 */
async function build(page, f) {
  await page.setChecked("#b-fin", f.fin ?? true);
  await page.selectOption("#b-opcode", String(f.opcode));
  await page.setChecked("#b-mask", Boolean(f.key));
  if (f.key) await page.fill("#b-key", f.key);
  if (f.size !== undefined) {
    await page.check('input[name="b-mode"][value="fill"]');
    await page.fill("#b-fill-length", String(f.size));
    await page.fill("#b-fill-byte", f.byte ?? "00");
  } else {
    await page.check('input[name="b-mode"][value="text"]');
    await page.fill("#b-text", f.text ?? "");
  }
  const hex = await page.getAttribute("#b-out", "data-hex");
  // The hex dump on the right shows the same frame.
  assert.equal(await page.getAttribute("#hexdump", "data-frame-hex"), hex);
  return hex;
}

/** The text of the inspector's status line. @param {import("playwright-core").Page} page */
const status = (page) => page.textContent("#summary .status");

test("builder: the RFC 6455 §5.7 examples come out byte for byte", async () => {
  const { page, done } = await open("build");
  // Start from something else, so every example below is built by the controls.
  await page.check('input[name="b-mode"][value="hex"]');
  await page.fill("#b-hex", "00");

  assert.equal(await build(page, { opcode: 1, text: "Hello" }), RFC_5_7.unmaskedHello);
  assert.equal(await build(page, { opcode: 1, key: "37 fa 21 3d", text: "Hello" }), RFC_5_7.maskedHello);
  assert.match(await status(page) ?? "", /Valid frame/);
  // The masking table: payload byte i XOR key byte (i mod 4) = masked byte.
  const rows = await page.$$eval("#masking tbody tr", (trs) => trs.map((tr) =>
    [...tr.querySelectorAll("td.byte")].map((td) => td.firstChild?.textContent)));
  assert.deepEqual(rows, [
    ["48", "37", "7f"], ["65", "fa", "9f"], ["6c", "21", "4d"], ["6c", "3d", "51"], ["6f", "37", "58"],
  ]);
  // The bit diagram: FIN, opcode 0001, MASK, 7-bit length 5.
  const bits = await page.$$eval("#diagram .bit", (els) => els.slice(0, 16).map((e) => e.textContent).join(""));
  assert.equal(bits, "1000000110000101");
  assert.equal(await page.getAttribute("#length .len-option.chosen", "data-encoding"), "7");
  await screenshot(page, "build-masked-hello");

  assert.equal(await build(page, { fin: false, opcode: 1, text: "Hel" }), RFC_5_7.fragment1);
  assert.equal(await build(page, { opcode: 0, text: "lo" }), RFC_5_7.fragment2);
  assert.equal(await build(page, { opcode: 9, text: "Hello" }), RFC_5_7.unmaskedPing);
  assert.equal(await build(page, { opcode: 10, key: "37fa213d", text: "Hello" }), RFC_5_7.maskedPong);

  const b256 = await build(page, { opcode: 2, size: 256, byte: "a5" });
  assert.equal(b256?.slice(0, 8), RFC_5_7.binary256Header);
  assert.equal(b256?.slice(8), "a5".repeat(256));
  assert.equal(await page.getAttribute("#length .len-option.chosen", "data-encoding"), "16");
  assert.match(await page.textContent("[data-testid=length-story]") ?? "", /126.*16-bit/);
  await screenshot(page, "build-binary-256");

  const b64k = await build(page, { opcode: 2, size: 65536, byte: "00" });
  assert.equal(b64k?.slice(0, 20), RFC_5_7.binary64KiBHeader);
  assert.equal(b64k?.length, (10 + 65536) * 2);
  assert.ok(/^0+$/.test(b64k?.slice(20) ?? "x"));
  assert.equal(await page.getAttribute("#length .len-option.chosen", "data-encoding"), "64");
  await done();
});

test("builder: a frame no endpoint may send is built, and shows the rule it breaks", async () => {
  const { page, done } = await open("build");
  await build(page, { fin: false, opcode: 9, text: "ping" });
  assert.match(await status(page) ?? "", /Breaks a rule.*close code 1002.*RFC 6455 §5\.5/);
  assert.match(await page.textContent("[data-testid=error]") ?? "", /fragmented-control-frame/);
  // A close frame with a code that may never be on the wire (§7.4.1).
  await page.setChecked("#b-fin", true);
  await page.selectOption("#b-opcode", "8");
  await page.check('input[name="b-mode"][value="close"]');
  await page.fill("#b-code", "1005");
  await page.fill("#b-reason", "");
  assert.equal(await page.getAttribute("#b-out", "data-hex"), "880203ed");
  assert.match(await page.textContent("[data-testid=error]") ?? "", /invalid-close-code/);
  // The decoder takes the built frame over, and finds the same fault.
  await page.click("#b-to-decoder");
  assert.equal(await page.getAttribute("#tab-decode", "aria-selected"), "true");
  assert.equal((await page.inputValue("#d-input")).replace(/\s/g, ""), "880203ed");
  assert.match(await status(page) ?? "", /close code 1002 · RFC 6455 §7\.4$/);
  await page.click("#tab-build");
  // A bad masking key is reported at the field, not encoded.
  await page.setChecked("#b-mask", true);
  await page.fill("#b-key", "12 34 56");
  assert.equal(await page.getAttribute("#b-key", "aria-invalid"), "true");
  assert.match(await page.textContent("#b-key-error") ?? "", /exactly 4 bytes/);
  assert.equal(await page.getAttribute("#b-out", "data-hex"), "");
  await done();
});

test("views are linked: pointing at or focusing a byte, a bit or a row lights up the others", async () => {
  const { page, done } = await open("build");
  await build(page, { opcode: 1, key: "37fa213d", text: "Hello" });
  // Byte 1 (MASK + length) in the dump -> its 8 bits in the diagram.
  await page.hover('#hexdump [data-i="1"]');
  assert.deepEqual(await page.$$eval("#diagram .bit.hl", (els) => els.map((e) => Number(e.dataset.bit))),
    [8, 9, 10, 11, 12, 13, 14, 15]);
  // An opcode bit in the diagram -> the whole opcode field and byte 0 in the dump.
  await page.hover('#diagram [data-bit="5"]');
  assert.deepEqual(await page.$$eval("#diagram .bit.hl", (els) => els.map((e) => Number(e.dataset.bit))),
    [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(await page.$eval('#hexdump [data-i="0"]', (e) => e.classList.contains("hl")));
  assert.match(await page.textContent("#detail") ?? "", /opcode = 0001/);

  // Keyboard only: Tab reaches the dump, arrows move along it, and the masking row and key
  // byte of a payload byte light up.
  await page.mouse.move(0, 0);
  await page.focus("#copy-hex");
  let focused = "";
  for (let i = 0; i < 12 && !focused.startsWith("byte"); i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? "");
  }
  assert.match(focused, /^byte 0: 0x81/);
  for (let i = 0; i < 7; i++) await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-i")), "7");
  // Payload byte 1: masking row 1 and key byte 1 (frame byte 3).
  assert.ok(await page.$eval('#masking tr[data-row="1"]', (e) => e.classList.contains("hl")));
  assert.ok(await page.$eval('#hexdump [data-i="3"]', (e) => e.classList.contains("hl-alt")));
  assert.match(await page.textContent("#detail") ?? "", /0x9f ⊕ key\[1\] 0xfa = 0x65 'e'/);
  // The focus ring is visible.
  const outline = await page.evaluate(() => getComputedStyle(/** @type {Element} */ (document.activeElement)).outlineStyle);
  assert.notEqual(outline, "none");
  await screenshot(page, "build-keyboard-highlight", false);

  // The tabs follow the ARIA tabs pattern: arrow keys move between them.
  await page.focus("#tab-build");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getAttribute("#tab-decode", "aria-selected"), "true");
  assert.ok(await page.isVisible("#pane-decode"));
  assert.ok(!(await page.isVisible("#pane-build")));
  await page.keyboard.press("End");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "tab-live");
  assert.equal(new URL(page.url()).hash, "#live");
  await done();
});

test("decode: pasted frames in any notation; broken and partial ones say why", async () => {
  const { page, done } = await open("decode");
  const paste = async (/** @type {string} */ hex) => {
    await page.fill("#d-input", hex);
  };
  for (const notation of [
    "81 85 37 fa 21 3d 7f 9f 4d 51 58",
    "0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58",
    "818537FA213D7F9F4D5158",
  ]) {
    await paste(notation);
    assert.match(await status(page) ?? "", /Valid frame/, notation);
    assert.equal(await page.textContent("[data-testid=payload-text]"), "Hello");
    assert.equal(await page.getAttribute("#hexdump", "data-frame-hex"), RFC_5_7.maskedHello);
  }
  // Decoding unmasks: the table goes from the wire to the payload.
  assert.match(await page.textContent("#masking thead") ?? "", /on the wire.*payload/);
  assert.match(await page.textContent("#diagram") ?? "", /Masking-key\s*37 fa/);
  await screenshot(page, "decode-masked-hello");

  const broken = [
    { hex: "83 00", kind: "reserved-opcode", code: 1002, section: "5.2" },
    { hex: "c1 05 48 65 6c 6c 6f", kind: "reserved-bits-set", code: 1002, section: "5.2" },
    { hex: "09 00", kind: "fragmented-control-frame", code: 1002, section: "5.5" },
    { hex: "89 7e 00 7e" + " 00".repeat(126), kind: "control-frame-too-long", code: 1002, section: "5.5" },
    { hex: "81 02 c3 28", kind: "invalid-utf8", code: 1007, section: "8.1" },
    { hex: "88 02 03 ed", kind: "invalid-close-code", code: 1002, section: "7.4" },
    { hex: "88 01 03", kind: "close-too-short", code: 1002, section: "5.5.1" },
    { hex: "82 7f 80 00 00 00 00 00 00 00", kind: "invalid-payload-length", code: 1002, section: "5.2" },
  ];
  // These are read without an extension: the permessage-deflate toggle (which turns on by
  // itself for RSV1 input) is set off by hand, so RSV1 is the §5.2 error.
  await page.check("#d-deflate");
  await page.uncheck("#d-deflate");
  for (const b of broken) {
    await paste(b.hex);
    const s = await status(page) ?? "";
    assert.match(s, new RegExp(`Breaks a rule · close code ${b.code} · RFC 6455 §${b.section.replace(/\./g, "\\.")}$`), b.hex);
    assert.match(await page.textContent("[data-testid=error]") ?? "", new RegExp(`^${b.kind} `), b.hex);
    if (b.kind === "control-frame-too-long") await screenshot(page, "decode-broken-ping");
  }
  // An unmasked frame is fine from a server, not from a client (§5.1).
  await paste(RFC_5_7.unmaskedHello);
  assert.match(await status(page) ?? "", /Valid frame/);
  await page.selectOption("#d-role", "server");
  assert.match(await status(page) ?? "", /close code 1002 · RFC 6455 §5\.1/);
  assert.match(await page.textContent("[data-testid=error]") ?? "", /^unmasked-frame /);
  await page.selectOption("#d-role", "");

  // A partial frame says how much is missing.
  await paste("81 85 37 fa 21 3d 7f 9f");
  assert.match(await status(page) ?? "", /Incomplete · 3 more bytes needed/);
  // Two frames: both listed, the second one selectable.
  await paste(RFC_5_7.fragment1 + RFC_5_7.fragment2);
  assert.equal(await page.locator(".frame-pick").count(), 2);
  await page.check('input[name="d-frame"][value="1"]');
  assert.equal(await page.getAttribute("#hexdump", "data-frame-hex"), RFC_5_7.fragment2);
  assert.match(await page.textContent("#summary") ?? "", /0x0 continuation/);
  // Not hex at all.
  await paste("81 85 zz");
  assert.equal(await page.getAttribute("#d-input", "aria-invalid"), "true");
  assert.match(await page.textContent("#d-input-error") ?? "", /"z" at position 7 is not a hex digit/);
  await done();
});

test("live: the browser's own masked frame, the echo, a ping, fragments and a close", async () => {
  const { page, done } = await open("live");
  await page.click("#l-connect");
  await page.waitForSelector('#l-status[data-state="open"]', { timeout: 10000 });
  const message = "Hello from Chromium, ünïcödé ✓";
  await page.fill("#l-message", message);
  await page.click("#l-send");
  const inFrame = page.locator('#l-timeline button[data-dir="in"][data-opcode="1"]').first();
  const echo = page.locator('#l-timeline button[data-dir="out"][data-opcode="1"]').first();
  await echo.waitFor({ timeout: 10000 });
  await page.getByText("The page got a message").first().waitFor({ timeout: 10000 });

  // The bytes the browser put on the wire, as the server read them: checked here, apart
  // from the page's own decoding, against RFC 6455 §5.2/§5.3.
  await inFrame.click();
  const wire = fromHex(await page.getAttribute("#hexdump", "data-frame-hex") ?? "");
  const text = new TextEncoder().encode(message);
  const key = wire.subarray(2, 6);
  const unmasked = wire.subarray(6).map((b, i) => b ^ key[i % 4]);
  if (wire[0] & 0x40) {
    // permessage-deflate was negotiated and Chromium compressed the message (RFC 7692).
    assert.equal(wire[0], 0xc1, "FIN + RSV1 + text");
    assert.equal(wire[1], 0x80 | unmasked.length, "MASK + 7-bit length");
    assert.deepEqual(new Uint8Array(inflateRaw(unmasked)), text);
    assert.equal(await page.textContent("[data-testid=inflated-text]"), message);
  } else {
    assert.equal(wire[0], 0x81, "FIN + text");
    assert.equal(wire[1], 0x80 | text.length, "MASK + 7-bit length");
    assert.deepEqual(unmasked, text);
    assert.equal(await page.textContent("[data-testid=payload-text]"), message);
  }
  assert.notDeepEqual(wire.subarray(6), unmasked, "the payload travels masked");
  assert.match(await page.textContent("#summary") ?? "", /masked/);
  assert.equal(await page.$$eval("#masking tbody tr", (r) => r.length), unmasked.length);
  await screenshot(page, "live-browser-frame");

  // The echo: the same payload, unmasked, from the server.
  await echo.click();
  const out = fromHex(await page.getAttribute("#hexdump", "data-frame-hex") ?? "");
  if (out[0] & 0x40) {
    assert.deepEqual([...out.subarray(0, 2)], [0xc1, out.length - 2]);
    assert.deepEqual(new Uint8Array(inflateRaw(out.subarray(2))), text);
    assert.equal(await page.textContent("[data-testid=inflated-text]"), message);
  } else {
    assert.deepEqual([...out.subarray(0, 2)], [0x81, text.length]);
    assert.deepEqual(out.subarray(2), text);
  }

  // A ping from the server, and the pong the browser answers with by itself (§5.5.2).
  await page.fill("#l-ping", "are you there?");
  await page.click("#l-ping-form button");
  const pong = page.locator('#l-timeline button[data-dir="in"][data-opcode="10"]').first();
  await pong.waitFor({ timeout: 10000 });
  assert.equal(await page.locator('#l-timeline button[data-dir="out"][data-opcode="9"]').count(), 1);
  await pong.click();
  const pongWire = fromHex(await page.getAttribute("#hexdump", "data-frame-hex") ?? "");
  assert.equal(pongWire[0], 0x8a);
  const pk = pongWire.subarray(2, 6);
  assert.equal(new TextDecoder().decode(pongWire.subarray(6).map((b, i) => b ^ pk[i % 4])), "are you there?");

  // A fragmented message: frames of 8 payload bytes, text then continuations, FIN last.
  const fragText = "Fragments, one by one";
  await page.fill("#l-frag-text", fragText);
  await page.fill("#l-frag-size", "8");
  await page.click("#l-frag-form button");
  await page.getByText(`“${fragText}”`).last().waitFor({ timeout: 10000 });
  const frags = page.locator('#l-timeline button[data-dir="out"]:is([data-opcode="1"], [data-opcode="0"])');
  await page.waitForFunction(() => document.querySelectorAll('#l-timeline button[data-dir="out"][data-opcode="0"]').length >= 2);
  const n = await frags.count();
  /** @type {number[]} */
  const firstBytes = [];
  /** @type {Uint8Array[]} */
  const parts = [];
  for (let i = 1; i < n; i++) { // 0 is the echo above
    await frags.nth(i).click();
    const w = fromHex(await page.getAttribute("#hexdump", "data-frame-hex") ?? "");
    firstBytes.push(w[0]);
    parts.push(w.subarray(2));
  }
  // With permessage-deflate the first frame may carry RSV1 (compressed message, RFC 7692
  // §6: first frame only); the payloads then join into one compressed message.
  const compressedFrags = (firstBytes[0] & 0x40) !== 0;
  assert.deepEqual(firstBytes, [compressedFrags ? 0x41 : 0x01, 0x00, 0x80]);
  const joined = Buffer.concat(parts);
  assert.equal((compressedFrags ? inflateRaw(joined) : joined).toString(), fragText);

  // A close from the server. The browser answers with its own close frame, which the
  // server cannot report: nothing may follow its close frame (§5.5.1).
  await page.fill("#l-close-code", "4000");
  await page.fill("#l-close-reason", "done here");
  await page.click("#l-close-form button");
  await page.waitForSelector('#l-status[data-state="idle"]', { timeout: 10000 });
  assert.match(await page.textContent("#l-status") ?? "", /Closed: 4000 “done here”, clean/);
  const serverClose = page.locator('#l-timeline button[data-opcode="8"]');
  assert.equal(await serverClose.count(), 1);
  await serverClose.click();
  assert.equal(await page.getAttribute("#hexdump", "data-frame-hex"), "880b0fa0" + Buffer.from("done here").toString("hex"));
  assert.match(await page.textContent("[data-testid=close-code]") ?? "", /^4000$/);

  await page.getByText("The browser answered with its own close frame").waitFor({ timeout: 5000 });
  await screenshot(page, "live-timeline");

  // A close from the page: a clean closing handshake. (After close() the browser drops
  // every message that still arrives, so the reports of these two frames cannot show.)
  await page.click("#l-connect");
  await page.waitForSelector('#l-status[data-state="open"]', { timeout: 10000 });
  await page.click("#l-connect");
  await page.waitForSelector('#l-status[data-state="idle"]', { timeout: 10000 });
  assert.match(await page.textContent("#l-status") ?? "", /Closed: 1000.*, clean/);
  await done();
});

/** RFC 7692 §7.2.2: inflates a compressed message payload, independently of the page. */
function inflateRaw(/** @type {Uint8Array} */ payload) {
  const data = Buffer.concat([payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]);
  return zlib.inflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

test("permessage-deflate: the RFC 7692 compressed “Hello” built and decoded, shown inflated", async () => {
  const { page, done } = await open("build");
  await build(page, { opcode: 1, text: "Hello" });
  await page.check("#b-compress");
  // RFC 7692 §7.2.3.1: FIN + RSV1 + text, unmasked, 7 bytes of DEFLATE data.
  assert.equal(await page.getAttribute("#b-out", "data-hex"), "c107f248cdc9c90700");
  assert.equal(await page.getAttribute("#hexdump", "data-frame-hex"), "c107f248cdc9c90700");
  assert.ok(await page.isChecked("#b-rsv1"), "RSV1 set by the compress option");
  assert.match(await status(page) ?? "", /Valid frame/);
  assert.equal(await page.textContent("[data-testid=compressed-hex]"), "f2 48 cd c9 c9 07 00");
  assert.equal(await page.textContent("[data-testid=inflated-text]"), "Hello");
  await screenshot(page, "build-deflate-hello");
  // Masked, as a browser sends it: the payload under the mask is the same compressed bytes.
  await page.setChecked("#b-mask", true);
  await page.fill("#b-key", "37fa213d");
  const masked = fromHex(await page.getAttribute("#b-out", "data-hex") ?? "");
  assert.deepEqual([...masked.subarray(0, 2)], [0xc1, 0x87]);
  assert.equal(inflateRaw(masked.subarray(6).map((b, i) => b ^ [0x37, 0xfa, 0x21, 0x3d][i % 4])).toString(), "Hello");
  assert.equal(await page.textContent("[data-testid=inflated-text]"), "Hello");
  // Off again: no RSV1, the plain RFC 6455 frame.
  await page.setChecked("#b-mask", false);
  await page.uncheck("#b-compress");
  await page.uncheck("#b-rsv1");
  assert.equal(await page.getAttribute("#b-out", "data-hex"), RFC_5_7.unmaskedHello);

  // The decode pane: RSV1 input turns the toggle on; off, RSV1 is the §5.2 error again.
  await page.click("#tab-decode");
  await page.fill("#d-input", "c1 07 f2 48 cd c9 c9 07 00");
  assert.ok(await page.isChecked("#d-deflate"));
  assert.match(await status(page) ?? "", /Valid frame/);
  assert.equal(await page.textContent("[data-testid=inflated-text]"), "Hello");
  assert.equal(await page.textContent("[data-testid=compressed-hex]"), "f2 48 cd c9 c9 07 00");
  await page.uncheck("#d-deflate");
  assert.match(await page.textContent("[data-testid=error]") ?? "", /^reserved-bits-set /);
  // RSV1 on a ping is misplaced even with the extension (RFC 7692 §6.1).
  await page.check("#d-deflate");
  await page.fill("#d-input", "c9 00");
  assert.match(await status(page) ?? "", /close code 1002 · RFC 7692 §6\.1/);
  await done();
});

test("live: permessage-deflate, the browser's compressed frames shown inflated", async () => {
  const { page, done } = await open("live");
  await page.click("#l-connect");
  await page.waitForSelector('#l-status[data-state="open"]', { timeout: 10000 });
  const extensions = await page.getAttribute("#l-status", "data-extensions") ?? "";
  const message = "Compress me, Chromium: compress me, compress me. ✓";
  // Twice: the second message may refer back to the first (context takeover).
  for (let i = 0; i < 2; i++) {
    await page.fill("#l-message", message);
    await page.click("#l-send");
  }
  const inFrames = page.locator('#l-timeline button[data-dir="in"][data-opcode="1"]');
  await page.waitForFunction(() => document.querySelectorAll('#l-timeline button[data-dir="in"][data-opcode="1"]').length >= 2, null, { timeout: 10000 });
  if (!/permessage-deflate/.test(extensions)) {
    console.log(`[live] SKIPPED the deflate assertions: the server negotiated no permessage-deflate (ws.extensions = "${extensions}"); checked that frames are uncompressed instead`);
    await inFrames.first().click();
    const wire = fromHex(await page.getAttribute("#hexdump", "data-frame-hex") ?? "");
    assert.equal(wire[0], 0x81, "no RSV1 without the extension");
  } else {
    const text = new TextEncoder().encode(message);
    for (let i = 0; i < 2; i++) {
      await inFrames.nth(i).click();
      const wire = fromHex(await page.getAttribute("#hexdump", "data-frame-hex") ?? "");
      assert.equal(wire[0] & 0x40, 0x40, `message ${i + 1}: RSV1 (compressed)`);
      assert.equal(wire[1] & 0x80, 0x80, "masked");
      assert.equal(await page.textContent("[data-testid=inflated-text]"), message, `message ${i + 1} inflated`);
      if (i === 0) {
        // The first message stands alone: inflate it here too, apart from the page.
        const len = wire[1] & 0x7f;
        assert.ok(len < 126);
        const key = wire.subarray(2, 6);
        const payload = wire.subarray(6).map((b, j) => b ^ key[j % 4]);
        assert.deepEqual(new Uint8Array(inflateRaw(payload)), text);
        await screenshot(page, "live-deflate-frame");
      }
    }
  }
  await page.click("#l-connect");
  await page.waitForSelector('#l-status[data-state="idle"]', { timeout: 10000 });
  await done();
});

test("phone: every view fits a narrow screen without sideways scrolling", async () => {
  const { page, done } = await open("build", PHONE);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(await overflow(), 0);
  assert.equal(await page.$$eval("#diagram .drow.ruler .tick", (t) => t.length), 16, "16 bits a row on a phone");
  await screenshot(page, "phone-build");
  await page.click("#tab-decode");
  await page.click("text=Ping over 125 bytes");
  assert.equal(await overflow(), 0);
  await screenshot(page, "phone-decode");
  await page.click("#tab-live");
  await page.click("#l-connect");
  await page.waitForSelector('#l-status[data-state="open"]', { timeout: 10000 });
  await page.click("#l-send");
  await page.locator('#l-timeline button[data-dir="out"]').first().waitFor({ timeout: 10000 });
  assert.equal(await overflow(), 0);
  await screenshot(page, "phone-live");
  await page.click("#l-connect"); // disconnect
  await page.waitForSelector('#l-status[data-state="idle"]', { timeout: 10000 });
  await done();
});
