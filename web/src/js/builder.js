// The frame builder: every control re-encodes the frame at once with the wasm codec
// (`encodeFrame`), and the codec's own `decodeFrame` of the result feeds the inspector, so
// the views show exactly what a receiver would see, rule violations included.

import { byId, h } from "./dom.js";
import { HexError, parseHex, toHex } from "./hex.js";
import { CLOSE_CODES, OPCODE_GROUPS, opcodeLabel } from "./opcodes.js";

/** @typedef {typeof import("../pkg/wsprism.js")} Codec */
/** @typedef {import("./inspector.js").Shown} Shown */

/**
 * A builder state: what the controls hold.
 * @typedef {object} Preset
 * @property {string} label
 * @property {boolean} [fin]
 * @property {number} opcode
 * @property {string | null} [key]  hex; null: unmasked
 * @property {"text" | "hex" | "close" | "fill"} mode
 * @property {string} [text]
 * @property {string} [hex]
 * @property {number} [code]
 * @property {string} [reason]
 * @property {number} [fillLength]
 * @property {string} [fillByte]
 * @property {boolean} [compress]  permessage-deflate: compress the payload, set RSV1
 */

/** The examples of RFC 6455 §5.7, and a few more. */
/** @type {Preset[]} */
export const PRESETS = [
  { label: "§5.7 A single-frame unmasked text message", opcode: 1, mode: "text", text: "Hello" },
  { label: "§5.7 A single-frame masked text message", opcode: 1, key: "37fa213d", mode: "text", text: "Hello" },
  { label: "§5.7 A fragmented unmasked text message: frame 1", fin: false, opcode: 1, mode: "text", text: "Hel" },
  { label: "§5.7 A fragmented unmasked text message: frame 2", opcode: 0, mode: "text", text: "lo" },
  { label: "§5.7 Unmasked Ping request", opcode: 9, mode: "text", text: "Hello" },
  { label: "§5.7 Masked Ping response (Pong)", opcode: 10, key: "37fa213d", mode: "text", text: "Hello" },
  { label: "§5.7 256 bytes binary in a single unmasked frame", opcode: 2, mode: "fill", fillLength: 256, fillByte: "00" },
  { label: "§5.7 64 KiB binary in a single unmasked frame", opcode: 2, mode: "fill", fillLength: 65536, fillByte: "00" },
  { label: "Close 1000 with a reason, masked", opcode: 8, key: "0a1b2c3d", mode: "close", code: 1000, reason: "bye" },
  { label: "RFC 7692 §7.2.3.1 A compressed “Hello” (permessage-deflate)", opcode: 1, mode: "text", text: "Hello", compress: true },
  { label: "Text with non-ASCII characters, masked", opcode: 1, key: "d3adb33f", mode: "text", text: "héllo wörld ✓" },
];

/** Largest payload the fill control makes (the 64-bit length starts at 65,536). */
const MAX_FILL = 1 << 20;

export class Builder {
  /**
   * @param {Codec} codec
   * @param {(s: Shown | string) => void} show
   */
  constructor(codec, show) {
    this.codec = codec;
    this.showFrame = show;
    this.form = byId("builder", HTMLFormElement);
    this.preset = byId("b-preset", HTMLSelectElement);
    this.fin = byId("b-fin", HTMLInputElement);
    this.rsv = [1, 2, 3].map((k) => byId(`b-rsv${k}`, HTMLInputElement));
    this.compress = byId("b-compress", HTMLInputElement);
    this.opcode = byId("b-opcode", HTMLSelectElement);
    this.mask = byId("b-mask", HTMLInputElement);
    this.key = byId("b-key", HTMLInputElement);
    this.keyRandom = byId("b-key-random", HTMLButtonElement);
    this.text = byId("b-text", HTMLTextAreaElement);
    this.hex = byId("b-hex", HTMLTextAreaElement);
    this.code = byId("b-code", HTMLInputElement);
    this.reason = byId("b-reason", HTMLInputElement);
    this.fillLength = byId("b-fill-length", HTMLInputElement);
    this.fillByte = byId("b-fill-byte", HTMLInputElement);
    this.out = byId("b-out", HTMLOutputElement);
    this.outNote = byId("b-out-note", HTMLElement);
    /** @type {Uint8Array | null} */
    this.bytes = null;

    this.fillMenus();
    this.form.addEventListener("input", (e) => {
      if (e.target === this.preset) return;
      this.preset.value = ""; // the controls no longer hold the example
      this.update();
    });
    this.form.addEventListener("change", (e) => {
      if (e.target === this.preset) this.loadPreset(Number(this.preset.value));
      else if (e.target === this.mask && this.mask.checked && !validKey(this.key.value)) this.randomKey();
    });
    this.form.addEventListener("submit", (e) => e.preventDefault());
    this.keyRandom.addEventListener("click", () => this.randomKey());
    this.loadPreset(1);
  }

  fillMenus() {
    this.preset.append(h("option", { value: "", disabled: true }, "Load an example…"),
      ...PRESETS.map((p, i) => h("option", { value: String(i) }, p.label)));
    for (const g of OPCODE_GROUPS) {
      this.opcode.append(h("optgroup", { label: g.label },
        g.codes.map((c) => h("option", { value: String(c) }, opcodeLabel(c)))));
    }
    const list = byId("close-codes", HTMLDataListElement);
    for (const c of CLOSE_CODES) {
      list.append(h("option", { value: String(c) }, this.codec.closeCodeName(c) ?? ""));
    }
  }

  /** @param {number} i */
  loadPreset(i) {
    const p = PRESETS[i];
    if (!p) return;
    this.preset.value = String(i);
    this.fin.checked = p.fin ?? true;
    for (const r of this.rsv) r.checked = false;
    this.compress.checked = p.compress ?? false;
    this.opcode.value = String(p.opcode);
    this.mask.checked = Boolean(p.key);
    if (p.key) this.key.value = toHex(parseHex(p.key));
    this.setMode(p.mode);
    this.text.value = p.text ?? "";
    this.hex.value = p.hex ?? "";
    this.code.value = p.code === undefined ? "" : String(p.code);
    this.reason.value = p.reason ?? "";
    this.fillLength.value = String(p.fillLength ?? 256);
    this.fillByte.value = p.fillByte ?? "00";
    this.update();
  }

  /** @param {string} mode */
  setMode(mode) {
    const radio = this.form.querySelector(`input[name="b-mode"][value="${mode}"]`);
    if (radio instanceof HTMLInputElement) radio.checked = true;
  }

  get mode() {
    const r = this.form.querySelector('input[name="b-mode"]:checked');
    return r instanceof HTMLInputElement ? r.value : "text";
  }

  randomKey() {
    this.key.value = toHex(crypto.getRandomValues(new Uint8Array(4)));
    this.mask.checked = true;
    this.update();
  }

  /** Clears the error marks of the inputs. */
  clearErrors() {
    for (const el of this.form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const el of this.form.querySelectorAll(".field-error")) el.textContent = "";
  }

  /** @param {HTMLInputElement | HTMLTextAreaElement} input @param {string} message */
  fail(input, message) {
    input.setAttribute("aria-invalid", "true");
    const err = document.getElementById(`${input.id}-error`);
    if (err) err.textContent = message;
    this.bytes = null;
    this.out.value = "";
    this.out.dataset.hex = "";
    this.outNote.textContent = "Fix the field marked above to build a frame.";
    this.showFrame(message);
  }

  /** Reads the controls, encodes, decodes, shows. */
  update() {
    this.clearErrors();
    const mode = this.mode;
    for (const m of ["text", "hex", "close", "fill"]) {
      byId(`b-payload-${m}`, HTMLElement).hidden = m !== mode;
    }
    this.key.disabled = !this.mask.checked;
    this.keyRandom.disabled = !this.mask.checked;

    /** @type {Uint8Array | null} */
    let maskKey = null;
    if (this.mask.checked) {
      try {
        maskKey = parseHex(this.key.value);
      } catch (e) {
        return this.fail(this.key, e instanceof HexError ? e.message : String(e));
      }
      if (maskKey.length !== 4) {
        return this.fail(this.key, `A masking key is exactly 4 bytes (8 hex digits); this is ${maskKey.length}.`);
      }
    }
    const plain = this.payload();
    if (plain === null) return;
    // RFC 7692 §7.2.1: the whole message payload compressed (raw DEFLATE, sync flush
    // without its 00 00 ff ff), and RSV1 on the frame.
    const compress = this.compress.checked;
    if (compress) this.rsv[0].checked = true;
    this.rsv[0].disabled = compress;
    const payload = compress ? this.codec.compressMessage(plain) : plain;

    const op = Number(this.opcode.value);
    /** @type {Uint8Array} */
    let bytes;
    try {
      bytes = this.codec.encodeFrame({
        fin: this.fin.checked,
        rsv1: this.rsv[0].checked,
        rsv2: this.rsv[1].checked,
        rsv3: this.rsv[2].checked,
        opcode: op,
        maskKey,
        payload,
        // Frames no endpoint may send are wanted here: the views then show which rule
        // they break, as the codec's decoder reports it.
        unchecked: true,
      });
    } catch (e) {
      return this.fail(this.text, e instanceof Error ? e.message : String(e));
    }
    this.bytes = bytes;
    this.out.dataset.hex = toHex(bytes, "");
    this.out.value = toHex(bytes.length > 64 ? bytes.subarray(0, 64) : bytes) + (bytes.length > 64 ? ` … (${bytes.length} bytes)` : "");
    const view = this.codec.decodeFrame(bytes, compress ? { perMessageDeflate: true } : undefined);
    this.outNote.textContent = view.error
      ? `A receiver would fail the connection with close code ${view.error.closeCode}.`
      : `${bytes.length} byte${bytes.length === 1 ? "" : "s"} on the wire.`;
    this.showFrame({
      bytes,
      view,
      perspective: "build",
      note: (compress ? `Compressed with permessage-deflate: ${plain.length} → ${payload.length} bytes. ` : "") + (maskKey
        ? "Masked, as a client sends it: the payload below the header is the XOR of the payload with the key."
        : "Unmasked, as a server sends it (a server that receives it from a client fails the connection, §5.1)."),
    });
  }

  /** The payload from the active payload control, or null after reporting an error. */
  payload() {
    switch (this.mode) {
      case "hex":
        try {
          return parseHex(this.hex.value);
        } catch (e) {
          this.fail(this.hex, e instanceof Error ? e.message : String(e));
          return null;
        }
      case "close":
        return this.closePayload();
      case "fill": {
        const n = Number(this.fillLength.value);
        if (!Number.isInteger(n) || n < 0 || n > MAX_FILL) {
          this.fail(this.fillLength, `A size from 0 to ${MAX_FILL.toLocaleString("en")} bytes.`);
          return null;
        }
        let b;
        try {
          b = parseHex(this.fillByte.value);
        } catch {
          b = new Uint8Array();
        }
        if (b.length !== 1) {
          this.fail(this.fillByte, "One byte in hex, e.g. 00 or ff.");
          return null;
        }
        return new Uint8Array(n).fill(b[0]);
      }
      default:
        return new TextEncoder().encode(this.text.value);
    }
  }

  /** A close payload (§5.5.1): nothing, or a 2-byte code and a UTF-8 reason. */
  closePayload() {
    const raw = this.code.value.trim();
    const reason = this.reason.value;
    if (raw === "") {
      if (reason !== "") {
        this.fail(this.code, "A reason needs a status code before it (§5.5.1).");
        return null;
      }
      return new Uint8Array();
    }
    const code = Number(raw);
    if (!Number.isInteger(code) || code < 0 || code > 65535) {
      this.fail(this.code, "A close code is a 16-bit number, 0-65535.");
      return null;
    }
    const reasonBytes = new TextEncoder().encode(reason);
    if (this.codec.isValidCloseCode(code) && reasonBytes.length <= 123) {
      return this.codec.encodeClosePayload(code, reason);
    }
    // A code that may not be sent, or a reason too long for a control frame: built by hand
    // so that the views can show the rule it breaks.
    const out = new Uint8Array(2 + reasonBytes.length);
    out[0] = code >> 8;
    out[1] = code & 0xff;
    out.set(reasonBytes, 2);
    return out;
  }
}

/** @param {string} s */
function validKey(s) {
  try {
    return parseHex(s).length === 4;
  } catch {
    return false;
  }
}
