// The right-hand column: one frame shown as a summary, the RFC 6455 §5.2 bit diagram, the
// payload-length story, a colour-coded hex dump and the masking table. Pointing at (or
// focusing) any bit, byte, field or row highlights the same thing in every view.

import { fill, h, one, rovingFocus, scrollWithin } from "./dom.js";
import { bits, byteHex, grouped, printable, toHex } from "./hex.js";
import { GROUPS, charOf, frameModel, groupOf, lengthStory } from "./model.js";
import { opcodeLabel } from "./opcodes.js";

/** @typedef {import("./model.js").FrameModel} FrameModel */
/** @typedef {import("./model.js").BitField} BitField */
/** @typedef {import("./model.js").Group} Group */
/** @typedef {import("../pkg/wsprism.js").FrameView} FrameView */

/**
 * What a pane asks the inspector to show.
 * @typedef {object} Shown
 * @property {Uint8Array} bytes   the bytes (the frame may be one of several)
 * @property {FrameView} view     the codec's view of the frame
 * @property {"build" | "read"} perspective  building masks the payload; reading unmasks it
 * @property {string} [note]      a sentence about where the frame comes from
 * @property {Inflated} [inflated] a compressed frame's payload inflated by the caller (live
 *   mode keeps each direction's inflater, so context takeover works); else `view.inflated`
 */

/**
 * A compressed (RSV1, RFC 7692) payload, inflated.
 * @typedef {object} Inflated
 * @property {Uint8Array | null} bytes
 * @property {string | null} text     the inflated text of a text message
 * @property {string} [error]         why it could not be inflated
 */

/** Most bytes drawn in the hex dump and rows in the masking table (the rest is counted). */
const MAX_HEX = 1024;
const MAX_ROWS = 256;

/** @param {string} section @param {number} [rfc] 6455, or 7692 for permessage-deflate */
function rfcLink(section, rfc = 6455) {
  const href = `https://www.rfc-editor.org/rfc/rfc${rfc}#section-${section}`;
  return h("a", { href, target: "_blank", rel: "noopener" }, `RFC ${rfc} §${section}`);
}

export class Inspector {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.summary = one(root, "#summary", HTMLElement);
    this.diagram = one(root, "#diagram", HTMLElement);
    this.detail = one(root, "#detail", HTMLElement);
    this.length = one(root, "#length", HTMLElement);
    this.legend = one(root, "#legend", HTMLElement);
    this.hex = one(root, "#hexdump", HTMLElement);
    this.masking = one(root, "#masking", HTMLElement);
    this.copy = one(root, "#copy-hex", HTMLButtonElement);
    /** @type {FrameModel | null} */
    this.model = null;
    /** @type {Shown | null} */
    this.shown = null;
    /** What the views say when there is no frame to show. */
    this.placeholder = "";
    /** @type {HTMLElement[]} */ this.bitEls = [];
    /** @type {Map<number, HTMLElement>} */ this.byteEls = new Map();
    /** @type {HTMLElement[]} */ this.rowEls = [];
    /** @type {[Element, string][]} */ this.marked = [];
    this.diagramCols = 32;
    this.hexCols = 16;
    this.defaultDetail = this.detail.textContent ?? "";

    this.renderLegend();
    this.wireHighlighting();
    rovingFocus(this.diagram, () => this.bitEls, () => this.diagramCols);
    rovingFocus(this.hex, () => [...this.byteEls.values()], () => this.hexCols);
    this.copy.addEventListener("click", () => this.copyHex());
    // The diagram and the dump change shape with the room they have (32 or 16 bits a row,
    // 16 or 8 bytes a row): a phone gets the same views, narrower.
    new ResizeObserver(() => {
      const [d, x] = this.columns();
      if (d !== this.diagramCols || x !== this.hexCols) this.render();
    }).observe(this.root);
  }

  /** @returns {[number, number]} */
  columns() {
    const w = this.root.clientWidth;
    return [w >= 560 ? 32 : 16, w >= 620 ? 16 : 8];
  }

  /** Shows a frame, or a placeholder message. @param {Shown | string} what */
  show(what) {
    if (typeof what === "string") {
      this.shown = null;
      this.model = null;
    } else {
      this.shown = what;
      this.model = frameModel(what.bytes, what.view);
    }
    this.placeholder = typeof what === "string" ? what : "";
    this.render();
  }

  render() {
    [this.diagramCols, this.hexCols] = this.columns();
    this.clearHighlight();
    const m = this.model;
    this.root.classList.toggle("empty", !m);
    this.copy.disabled = !m;
    if (!m || !this.shown) {
      fill(this.summary, h("p", { class: "placeholder" }, this.placeholder));
      for (const el of [this.diagram, this.length, this.hex, this.masking]) fill(el);
      this.bitEls = [];
      this.byteEls = new Map();
      this.rowEls = [];
      return;
    }
    this.renderSummary(m, this.shown);
    this.renderDiagram(m);
    this.renderLength(m);
    this.renderHex(m);
    this.renderMasking(m, this.shown.perspective);
    this.detail.textContent = this.defaultDetail;
  }

  // --- summary -------------------------------------------------------------------------

  /** @param {FrameModel} m @param {Shown} shown */
  renderSummary(m, shown) {
    const v = m.view;
    /** @type {HTMLElement} */
    let status;
    if (v.error) {
      status = h("div", { class: "status bad" },
        h("strong", null, "Breaks a rule"),
        ` · close code ${v.error.closeCode} · `,
        rfcLink(v.error.rfcSection, v.error.rfc));
    } else if (!v.complete) {
      status = h("div", { class: "status partial" },
        h("strong", null, "Incomplete"),
        v.bytesNeeded === null ? "" : ` · ${grouped(v.bytesNeeded)} more byte${v.bytesNeeded === 1 ? "" : "s"} needed`);
    } else {
      status = h("div", { class: "status ok" }, h("strong", null, "Valid frame"));
    }
    const chips = [];
    if (v.opcode !== null) chips.push(h("span", { class: "chip op" }, opcodeLabel(v.opcode)));
    if (v.fin !== null) chips.push(h("span", { class: "chip" }, v.fin ? "FIN: final" : "not final"));
    if (v.masked !== null) chips.push(h("span", { class: "chip" }, v.masked ? "masked" : "unmasked"));
    for (const k of /** @type {const} */ (["rsv1", "rsv2", "rsv3"])) {
      if (v[k]) chips.push(h("span", { class: "chip warn" }, k.toUpperCase()));
    }
    const sizes = v.headerLength === null
      ? `${m.bytes.length - m.start} byte${m.bytes.length - m.start === 1 ? "" : "s"}`
      : `${grouped(m.frameEnd - m.start)} bytes = ${v.headerLength} header + ${grouped(m.payloadEnd - m.payloadStart)} payload`;
    chips.push(h("span", { class: "chip size" }, sizes));

    fill(this.summary,
      h("div", { class: "summary-top" }, status, h("div", { class: "chips" }, chips)),
      v.error ? h("p", { class: "error-text", "data-testid": "error" },
        h("code", null, v.error.kind), " ", v.error.message) : null,
      deflateBlock(v, shown) ?? payloadLine(v),
      shown.note ? h("p", { class: "note" }, shown.note) : null);
  }

  // --- bit diagram ---------------------------------------------------------------------

  /** @param {FrameModel} m */
  renderDiagram(m) {
    const W = this.diagramCols;
    const v = m.view;
    const presentBits = (m.headerEnd - m.start) * 8;
    const totalBits = Math.max(presentBits, ...m.fields.map((f) => f.start + f.bits));
    const rows = Math.ceil(totalBits / W);
    this.diagram.style.setProperty("--cols", String(W));
    this.bitEls = [];
    const ruler = h("div", { class: "drow ruler", "aria-hidden": "true" },
      h("span", { class: "roff" }, "bit"),
      Array.from({ length: W }, (_, i) => h("span", { class: i % 8 === 0 ? "tick major" : "tick" }, String(i))));
    const out = [ruler];
    for (let r = 0; r < rows; r++) {
      const row = h("div", { class: "drow" });
      row.append(h("span", { class: "roff", title: "byte offset of the row" }, `+${(r * W) / 8}`));
      for (const f of m.fields) {
        const a = Math.max(f.start, r * W);
        const b = Math.min(f.start + f.bits, (r + 1) * W);
        if (a >= b) continue;
        row.append(segment(f, a - r * W, b - a, a > f.start, partValue(m, f, a, b)));
      }
      for (let c = 0; c < W; c++) {
        const bit = r * W + c;
        if (bit >= totalBits) break;
        row.append(this.bitCell(m, bit, c));
      }
      out.push(row);
    }
    // The payload starts where the header ends, as the RFC's figure draws it.
    if (v.spans.payload) {
      const used = totalBits % W;
      const row = used === 0 ? h("div", { class: "drow" }, h("span", { class: "roff" }, `+${totalBits / 8}`)) : out[out.length - 1];
      if (used === 0) out.push(row);
      const span = W - used;
      const len = v.payloadLength ?? 0;
      const preview = m.bytes.subarray(m.payloadStart, Math.min(m.payloadEnd, m.payloadStart + 16));
      row.append(
        h("div", { class: "seg pay", "data-field": "payload", style: `grid-column: ${used + 2} / span ${span}` },
          h("span", { class: "name" }, "Payload Data"),
          h("span", { class: "val" }, `${grouped(len)} byte${len === 1 ? "" : "s"}`)),
        h("div", { class: "paycell pay", "data-group": "pay", style: `grid-column: ${used + 2} / span ${span}`, "aria-hidden": "true" },
          preview.length ? toHex(preview) + (m.payloadEnd - m.payloadStart > preview.length ? " …" : "") : "(empty)"));
    }
    fill(this.diagram, out);
    if (this.bitEls.length) this.bitEls[0].tabIndex = 0;
  }

  /** @param {FrameModel} m @param {number} bit @param {number} col */
  bitCell(m, bit, col) {
    const i = m.start + (bit >> 3);
    const f = m.fields.find((x) => bit >= x.start && bit < x.start + x.bits);
    const group = f?.group ?? "hdr";
    const here = i < m.bytes.length;
    const value = here ? (m.bytes[i] >> (7 - (bit & 7))) & 1 : null;
    const el = h("span", {
      class: `bit ${group}${value === 1 ? " one" : ""}${here ? "" : " missing"}${bit % 8 === 0 && col > 0 ? " byte-start" : ""}`,
      "data-bit": String(bit),
      tabindex: "-1",
      style: `grid-column: ${col + 2}`,
      "aria-label": `bit ${bit}, ${f ? f.name : "header"}: ${value ?? "not received"}`,
    }, value === null ? "·" : String(value));
    this.bitEls.push(el);
    return el;
  }

  // --- length --------------------------------------------------------------------------

  /** @param {FrameModel} m */
  renderLength(m) {
    const story = lengthStory(m.view);
    const options = [
      { bits: 7, range: "0–125", how: "in the 7-bit field" },
      { bits: 16, range: "126–65,535", how: "126, then 16 bits" },
      { bits: 64, range: "65,536–2⁶³−1", how: "127, then 64 bits" },
    ];
    fill(this.length,
      h("div", { class: "len-options", role: "list" },
        options.map((o) => h("div", {
          role: "listitem",
          class: `len-option${story.chosen === o.bits ? " chosen" : ""}`,
          "aria-current": story.chosen === o.bits ? "true" : null,
          "data-encoding": String(o.bits),
        }, h("strong", null, `${o.bits}-bit`), h("span", null, o.range), h("small", null, o.how)))),
      h("p", { class: "len-text", "data-testid": "length-story" }, story.text),
      story.warning ? h("p", { class: "len-warn" }, story.warning) : null);
  }

  // --- hex dump ------------------------------------------------------------------------

  renderLegend() {
    fill(this.legend, GROUPS.map((g) =>
      h("li", { class: `legend-item ${g.id}`, "data-group": g.id, tabindex: "0", title: g.long },
        h("span", { class: "swatch", "aria-hidden": "true" }), g.label)));
  }

  /** @param {FrameModel} m */
  renderHex(m) {
    const n = m.bytes.length;
    const C = this.hexCols;
    const from = Math.max(0, Math.floor((m.start - 64) / C) * C);
    const to = Math.min(n, from + MAX_HEX);
    this.byteEls = new Map();
    const rows = [];
    if (from > 0) rows.push(h("div", { class: "hex-note" }, `… ${grouped(from)} earlier bytes not shown`));
    for (let r = from; r < to; r += C) {
      const cells = [];
      const text = [];
      for (let i = r; i < Math.min(to, r + C); i++) {
        const g = groupOf(m, i);
        const el = h("span", {
          class: `b ${g ?? "other"}`,
          "data-i": String(i),
          tabindex: "-1",
          "aria-label": `byte ${i}: 0x${byteHex(m.bytes[i])}, ${g ? GROUPS.find((x) => x.id === g)?.long : "another frame"}`,
        }, byteHex(m.bytes[i]));
        this.byteEls.set(i, el);
        cells.push(el);
        text.push(printable(m.bytes[i]));
      }
      rows.push(h("div", { class: "hex-row" },
        h("span", { class: "off" }, r.toString(16).padStart(4, "0")),
        h("span", { class: "bytes", style: `--hex-cols: ${C}` }, cells),
        h("span", { class: "ascii", "aria-hidden": "true" }, text.join(""))));
    }
    if (to < n) rows.push(h("div", { class: "hex-note" }, `… ${grouped(n - to)} more bytes not shown`));
    const missing = m.view.complete || m.view.bytesNeeded === null ? 0 : m.view.bytesNeeded;
    if (missing > 0) rows.push(h("div", { class: "hex-note missing" }, `${grouped(missing)} byte${missing === 1 ? "" : "s"} of this frame not received yet`));
    fill(this.hex, rows);
    this.hex.dataset.frameHex = toHex(m.bytes.subarray(m.start, m.frameEnd), "");
    const first = this.byteEls.get(m.start) ?? this.byteEls.values().next().value;
    if (first) first.tabIndex = 0;
  }

  async copyHex() {
    const text = toHex((this.hex.dataset.frameHex ?? "").match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
    const label = this.copy.textContent;
    try {
      await navigator.clipboard.writeText(text);
      this.copy.textContent = "Copied";
    } catch {
      this.copy.textContent = "Copy failed";
    }
    setTimeout(() => { this.copy.textContent = label; }, 1200);
  }

  // --- masking -------------------------------------------------------------------------

  /** @param {FrameModel} m @param {"build" | "read"} perspective */
  renderMasking(m, perspective) {
    const v = m.view;
    this.rowEls = [];
    if (v.masked === null || v.payloadLength === null) {
      fill(this.masking, h("p", { class: "muted" }, "The header is not complete yet."));
      return;
    }
    if (!v.masked) {
      fill(this.masking, h("p", { class: "muted" },
        "MASK is 0: the payload travels as it is. Servers never mask; every frame a client sends must be masked, and a server that gets an unmasked frame fails the connection (",
        rfcLink("5.1"), ")."));
      return;
    }
    const key = v.maskKey;
    const plain = v.payload;
    const wire = v.maskedPayload;
    if (!key || !plain || !wire) {
      fill(this.masking, h("p", { class: "muted" }, "The masking key is not complete yet."));
      return;
    }
    if (plain.length === 0) {
      fill(this.masking, h("p", { class: "muted" }, `Masking-key ${toHex(key)}, but the payload is empty: nothing to mask.`));
      return;
    }
    const build = perspective === "build";
    const [src, dst] = build ? [plain, wire] : [wire, plain];
    const rows = [];
    const shown = Math.min(src.length, MAX_ROWS);
    for (let j = 0; j < shown; j++) {
      const k = key[j % 4];
      const srcChar = build ? charOf(src[j]) : "";
      const dstChar = build ? "" : charOf(dst[j]);
      const row = h("tr", { "data-row": String(j), tabindex: j === 0 ? "0" : "-1" },
        h("td", { class: "idx" }, String(j)),
        h("td", { class: "byte pay" }, byteHex(src[j]), srcChar ? h("span", { class: "ch" }, srcChar) : null),
        h("td", { class: "op" }, "⊕"),
        h("td", { class: "byte key" }, byteHex(k), h("span", { class: "sub" }, `key[${j % 4}]`)),
        h("td", { class: "op" }, "="),
        h("td", { class: "byte res" }, byteHex(dst[j]), dstChar ? h("span", { class: "ch" }, dstChar) : null),
        h("td", { class: "binary" }, `${bits(src[j])} ⊕ ${bits(k)} = ${bits(dst[j])}`));
      this.rowEls.push(row);
      rows.push(row);
    }
    const table = h("table", { class: "mask-table" },
      h("caption", { class: "visually-hidden" }, build ? "Masking, byte by byte" : "Unmasking, byte by byte"),
      h("thead", null, h("tr", null,
        h("th", { scope: "col" }, "i"),
        h("th", { scope: "col" }, build ? "payload" : "on the wire"),
        h("th", { scope: "col", "aria-label": "XOR" }),
        h("th", { scope: "col" }, "key byte i mod 4"),
        h("th", { scope: "col", "aria-label": "equals" }),
        h("th", { scope: "col" }, build ? "on the wire" : "payload"),
        h("th", { scope: "col", class: "binary" }, "in bits"))),
      h("tbody", null, rows));
    const box = h("div", { class: "mask-scroll", tabindex: "-1" }, table);
    rovingFocus(box, () => this.rowEls, () => 1);
    fill(this.masking,
      h("p", { class: "mask-intro" },
        build
          ? `Each payload byte i is XORed with byte i mod 4 of the masking key ${toHex(key)}; the receiver applies the same XOR to get it back (`
          : `Each byte i on the wire is XORed with byte i mod 4 of the masking key ${toHex(key)}, which gives back the payload (`,
        rfcLink("5.3"), ")."),
      box,
      src.length > shown ? h("p", { class: "muted" }, `First ${grouped(shown)} of ${grouped(src.length)} bytes.`) : null);
  }

  // --- highlighting --------------------------------------------------------------------

  wireHighlighting() {
    const target = (/** @type {Event} */ e) =>
      /** @type {HTMLElement | null} */ (/** @type {Element} */ (e.target).closest?.("[data-bit],[data-i],[data-row],[data-field],[data-group]"));
    this.root.addEventListener("pointerover", (e) => {
      const t = target(e);
      if (t) this.highlight(t);
    });
    this.root.addEventListener("pointerleave", () => {
      const f = document.activeElement;
      if (f instanceof HTMLElement && this.root.contains(f) && f !== document.body) this.highlight(f);
      else this.clearHighlight();
    });
    this.root.addEventListener("focusin", (e) => {
      const t = target(e);
      if (t) this.highlight(t);
      else this.clearHighlight();
    });
    this.root.addEventListener("focusout", (e) => {
      if (!this.root.contains(/** @type {Node | null} */ (e.relatedTarget))) this.clearHighlight();
    });
  }

  clearHighlight() {
    for (const [el, cls] of this.marked) el.classList.remove(cls);
    this.marked = [];
    delete this.root.dataset.hlGroup;
    if (this.detail) this.detail.textContent = this.defaultDetail;
  }

  /** @param {Element | undefined} el @param {string} [cls] */
  mark(el, cls = "hl") {
    if (!el) return;
    el.classList.add(cls);
    this.marked.push([el, cls]);
  }

  /** Highlights the byte `i` (index in the shown bytes) everywhere. @param {number} i @param {string} [cls] */
  markByte(i, cls = "hl") {
    const m = this.model;
    if (!m) return;
    this.mark(this.byteEls.get(i), cls);
    const rel = i - m.start;
    for (let b = rel * 8; b < rel * 8 + 8; b++) this.mark(this.bitEls[b], cls);
  }

  /** @param {BitField} f */
  markField(f) {
    const m = this.model;
    if (!m) return;
    for (let b = f.start; b < f.start + f.bits; b++) this.mark(this.bitEls[b]);
    for (const seg of this.diagram.querySelectorAll(`[data-field="${f.id}"]`)) this.mark(seg);
    for (let i = m.start + (f.start >> 3); i < m.start + ((f.start + f.bits + 7) >> 3); i++) {
      this.mark(this.byteEls.get(i));
    }
  }

  /** @param {HTMLElement} t */
  highlight(t) {
    const m = this.model;
    this.clearHighlight();
    if (!m) return;
    const d = t.dataset;
    if (d.bit !== undefined) {
      const bit = Number(d.bit);
      const f = m.fields.find((x) => bit >= x.start && bit < x.start + x.bits);
      if (f) this.markField(f);
      this.markByte(m.start + (bit >> 3));
      this.mark(t, "hl-focus");
      const byte = m.start + (bit >> 3);
      const val = byte < m.bytes.length ? (m.bytes[byte] >> (7 - (bit & 7))) & 1 : "?";
      this.detail.textContent = `Bit ${bit} = ${val}. ${f ? f.meaning : ""}`;
      if (f) this.root.dataset.hlGroup = f.group;
    } else if (d.i !== undefined) {
      this.describeByte(m, Number(d.i));
    } else if (d.row !== undefined) {
      this.describeRow(m, Number(d.row));
    } else if (d.field !== undefined) {
      if (d.field === "payload") {
        this.root.dataset.hlGroup = "pay";
        this.detail.textContent = `Payload Data: ${grouped(m.view.payloadLength ?? 0)} bytes, starting at byte ${m.payloadStart - m.start} of the frame.`;
      } else {
        const f = m.fields.find((x) => x.id === d.field);
        if (f) {
          this.markField(f);
          this.root.dataset.hlGroup = f.group;
          this.detail.textContent = f.meaning;
        }
      }
    } else if (d.group !== undefined) {
      this.root.dataset.hlGroup = d.group;
      const g = GROUPS.find((x) => x.id === d.group);
      const span = groupSpan(m, /** @type {Group} */ (d.group));
      this.detail.textContent = `${g?.long}: ${span ?? "not in this frame"}.`;
    }
  }

  /** @param {FrameModel} m @param {number} i */
  describeByte(m, i) {
    const g = groupOf(m, i);
    this.markByte(i);
    this.mark(this.byteEls.get(i), "hl-focus");
    const b = m.bytes[i];
    let text = `Byte ${i - m.start} of the frame: 0x${byteHex(b)} = ${bits(b)}. `;
    if (!g) {
      this.detail.textContent = `Byte ${i}: 0x${byteHex(b)}, part of another frame.`;
      return;
    }
    this.root.dataset.hlGroup = g;
    if (g === "pay") {
      const j = i - m.payloadStart;
      this.mark(this.rowEls[j]);
      if (this.rowEls[j]) scrollWithin(/** @type {HTMLElement} */ (this.rowEls[j].closest(".mask-scroll")), this.rowEls[j]);
      const v = m.view;
      if (v.masked && v.maskKey && v.payload) {
        const ki = (m.view.spans.maskKey?.[0] ?? 0) + (j % 4);
        this.markByte(ki, "hl-alt");
        text += `Payload byte ${j}, masked: 0x${byteHex(b)} ⊕ key[${j % 4}] 0x${byteHex(v.maskKey[j % 4])} = 0x${byteHex(v.payload[j])}${charOf(v.payload[j]) ? ` '${charOf(v.payload[j])}'` : ""}.`;
      } else {
        text += `Payload byte ${j}${charOf(b) ? ` '${charOf(b)}'` : ""}.`;
      }
    } else {
      const rel = (i - m.start) * 8;
      const fs = m.fields.filter((f) => f.start < rel + 8 && f.start + f.bits > rel);
      text += fs.map((f) => f.meaning).join(" ");
    }
    this.detail.textContent = text;
  }

  /** @param {FrameModel} m @param {number} j */
  describeRow(m, j) {
    const v = m.view;
    if (!v.maskKey || !v.payload || !v.maskedPayload) return;
    this.mark(this.rowEls[j], "hl-focus");
    this.markByte(m.payloadStart + j);
    this.markByte((v.spans.maskKey?.[0] ?? 0) + (j % 4), "hl-alt");
    const k = v.maskKey[j % 4];
    this.detail.textContent = `Payload byte ${j}: 0x${byteHex(v.payload[j])} ⊕ key[${j} mod 4 = ${j % 4}] 0x${byteHex(k)} = 0x${byteHex(v.maskedPayload[j])} on the wire; XOR again with the same key byte to get it back.`;
  }
}

/** The payload, read: text, close code and reason, or bytes. @param {FrameView} v */
function payloadLine(v) {
  if (!v.payload) return null;
  if (v.opcode === 8 && v.complete) {
    if (v.closeCode === null) return h("p", { class: "payload-line" }, h("span", { class: "k" }, "Close"), " no status code (the receiver reports 1005)");
    return h("p", { class: "payload-line" }, h("span", { class: "k" }, "Close"),
      h("code", { "data-testid": "close-code" }, String(v.closeCode)), v.closeCodeName ? ` ${v.closeCodeName}` : "",
      v.closeReason ? [" · reason ", h("q", null, v.closeReason)] : "");
  }
  if (v.text !== null) {
    return h("p", { class: "payload-line" }, h("span", { class: "k" }, "Text"), h("q", { class: "text", "data-testid": "payload-text" }, v.text));
  }
  if (v.payload.length === 0) return h("p", { class: "payload-line" }, h("span", { class: "k" }, "Payload"), " empty");
  const shown = v.payload.subarray(0, 16);
  return h("p", { class: "payload-line" }, h("span", { class: "k" }, "Payload"),
    h("code", null, toHex(shown) + (v.payload.length > shown.length ? " …" : "")));
}

/**
 * A compressed frame (RSV1 under permessage-deflate, RFC 7692 §6): the payload as sent and
 * inflated, side by side. Null when the frame is not one.
 * @param {FrameView} v @param {Shown} shown
 */
function deflateBlock(v, shown) {
  const inflated = shown.inflated ?? (v.inflated ? { bytes: v.inflated, text: v.text } : null);
  if (!v.rsv1 || !v.payload || !inflated) return null;
  const preview = (/** @type {Uint8Array} */ b) => toHex(b.subarray(0, 32)) + (b.length > 32 ? " …" : "");
  const size = (/** @type {number} */ n) => `${grouped(n)} byte${n === 1 ? "" : "s"}`;
  const out = inflated.bytes;
  return h("div", { class: "deflate-pair", "data-testid": "deflate" },
    h("div", { class: "deflate-side" },
      h("span", { class: "k" }, `Compressed (RSV1) · ${size(v.payload.length)}`),
      h("code", { "data-testid": "compressed-hex" }, preview(v.payload))),
    h("div", { class: "deflate-side" },
      h("span", { class: "k" }, out ? `Inflated · ${size(out.length)}` : "Inflated"),
      inflated.error ? h("span", { class: "error-text" }, inflated.error)
        : inflated.text !== null ? h("q", { class: "text", "data-testid": "inflated-text" }, inflated.text)
          : h("code", { "data-testid": "inflated-hex" }, out ? preview(out) : "")));
}

/** @param {FrameModel} m @param {Group} g */
function groupSpan(m, g) {
  const sp = m.view.spans;
  /** @type {Record<Group, import("../pkg/wsprism.js").Span | null>} */
  const spans = { hdr: sp.base, len: sp.extendedLength, key: sp.maskKey, pay: sp.payload };
  const s = spans[g];
  if (!s) return null;
  if (s[1] - s[0] === 0) return "empty";
  return s[1] - s[0] === 1 ? `byte ${s[0] - m.start}` : `bytes ${s[0] - m.start}–${s[1] - 1 - m.start} of the frame`;
}

/**
 * What the part [a, b) of a field spread over rows shows: the whole value on its first row
 * for a number; for the masking key, the key bytes in that part.
 * @param {FrameModel} m @param {BitField} f @param {number} a @param {number} b
 */
function partValue(m, f, a, b) {
  if (a === f.start && b === f.start + f.bits) return f.value;
  if (f.id === "maskkey") {
    const from = m.start + (a >> 3);
    return toHex(m.bytes.subarray(from, Math.min(m.bytes.length, m.start + (b >> 3))));
  }
  return a === f.start ? f.value : "";
}

/**
 * A diagram label spanning `width` bit columns from column `col`.
 * @param {BitField} f @param {number} col @param {number} width @param {boolean} cont
 * @param {string} value
 */
function segment(f, col, width, cont, value) {
  const narrow = width <= 2;
  return h("div", {
    class: `seg ${f.group}${narrow ? " narrow" : ""}`,
    "data-field": f.id,
    style: `grid-column: ${col + 2} / span ${width}`,
    title: f.meaning,
  },
  h("span", { class: "name" }, cont ? `${f.name} (cont.)` : f.name),
  narrow || !value ? null : h("span", { class: "val" }, value));
}

