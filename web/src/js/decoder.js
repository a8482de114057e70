// The decode pane: hex in any common notation, taken apart by the wasm codec's
// `decodeFrames`; every frame found can be shown, and a broken one says which rule of
// RFC 6455 it breaks and the close code a receiver would send.

import { byId, fill, h } from "./dom.js";
import { parseHex } from "./hex.js";
import { opcodeLabel } from "./opcodes.js";

/** @typedef {typeof import("../pkg/wsprism.js")} Codec */
/** @typedef {import("../pkg/wsprism.js").FrameView} FrameView */
/** @typedef {import("./inspector.js").Shown} Shown */

/**
 * Frames worth trying: valid ones and one for each kind of broken rule. `deflate` sets the
 * "permessage-deflate negotiated" toggle (else it follows RSV1).
 * @type {{ label: string, hex: string, deflate?: boolean }[]}
 */
export const EXAMPLES = [
  { label: "Masked “Hello” (§5.7)", hex: "81 85 37 fa 21 3d 7f 9f 4d 51 58" },
  { label: "Two fragments", hex: "01 03 48 65 6c 80 02 6c 6f" },
  { label: "Close 1000 “bye”", hex: "88 05 03 e8 62 79 65" },
  { label: "RSV1 without an extension", hex: "c1 05 48 65 6c 6c 6f", deflate: false },
  { label: "Compressed “Hello” (RFC 7692)", hex: "c1 07 f2 48 cd c9 c9 07 00", deflate: true },
  { label: "Reserved opcode 0x3", hex: "83 00" },
  { label: "Fragmented ping", hex: "09 00" },
  { label: "Ping over 125 bytes", hex: "89 7e 00 7e" + " 00".repeat(126) },
  { label: "Invalid UTF-8", hex: "81 02 c3 28" },
  { label: "Close code 1005", hex: "88 02 03 ed" },
  { label: "Incomplete", hex: "81 85 37 fa 21 3d 7f" },
  { label: "Length not minimal", hex: "82 7e 00 03 01 02 03" },
];

export class Decoder {
  /**
   * @param {Codec} codec
   * @param {(s: Shown | string) => void} show
   */
  constructor(codec, show) {
    this.codec = codec;
    this.showFrame = show;
    this.input = byId("d-input", HTMLTextAreaElement);
    this.error = byId("d-input-error", HTMLElement);
    this.role = byId("d-role", HTMLSelectElement);
    this.deflate = byId("d-deflate", HTMLInputElement);
    /** Whether the toggle was set by hand (else it follows RSV1 in the input). */
    this.deflateChosen = false;
    this.frames = byId("d-frames", HTMLElement);
    this.count = byId("d-count", HTMLElement);
    /** @type {number} */
    this.selected = 0;
    /** @type {{ bytes: Uint8Array, views: FrameView[] } | null} */
    this.result = null;

    fill(byId("d-examples", HTMLElement), EXAMPLES.map((ex) =>
      h("li", null, h("button", {
        type: "button",
        class: "chip-button",
        onclick: () => this.load(ex.hex, ex.deflate),
      }, ex.label))));
    this.input.addEventListener("input", () => this.update(true));
    this.role.addEventListener("change", () => this.update(false));
    this.deflate.addEventListener("change", () => {
      this.deflateChosen = true;
      this.update(false);
    });
    this.frames.addEventListener("change", (e) => {
      const t = e.target;
      if (t instanceof HTMLInputElement && t.name === "d-frame") {
        this.selected = Number(t.value);
        this.showSelected();
      }
    });
  }

  /**
   * Puts hex in the input and decodes it.
   * @param {string} hex @param {boolean} [deflate] the toggle's state (else: follows RSV1)
   */
  load(hex, deflate) {
    this.input.value = hex;
    if (deflate !== undefined) {
      this.deflate.checked = deflate;
      this.deflateChosen = true;
    }
    this.update(true);
  }

  /** @param {boolean} reset whether to go back to the first frame */
  update(reset) {
    if (reset) this.selected = 0;
    this.input.removeAttribute("aria-invalid");
    this.error.textContent = "";
    const text = this.input.value;
    if (text.trim() === "") {
      this.result = null;
      fill(this.frames);
      this.count.textContent = "";
      this.showFrame("Paste a frame in hex on the left, or pick an example.");
      return;
    }
    let bytes;
    try {
      bytes = parseHex(text);
    } catch (e) {
      this.input.setAttribute("aria-invalid", "true");
      this.error.textContent = e instanceof Error ? e.message : String(e);
      this.result = null;
      fill(this.frames);
      this.count.textContent = "";
      this.showFrame("The input is not hex: see the message under it.");
      return;
    }
    const role = this.role.value;
    /** @type {import("../pkg/wsprism.js").DecodeFrameOptions} */
    const options = role === "server" || role === "client" ? { role } : {};
    let views = this.codec.decodeFrames(bytes, options);
    // RFC 7692 §6: RSV1 on a data frame means "compressed" once permessage-deflate is
    // negotiated, so the toggle is on by default when the input has such a frame.
    if (!this.deflateChosen) this.deflate.checked = views.some((v) => v.rsv1 === true);
    if (this.deflate.checked) views = this.codec.decodeFrames(bytes, { ...options, perMessageDeflate: true });
    this.result = { bytes, views };
    if (this.selected >= views.length) this.selected = 0;
    this.count.textContent = `${bytes.length} byte${bytes.length === 1 ? "" : "s"}, ${views.length} frame${views.length === 1 ? "" : "s"}`;
    this.renderList();
    this.showSelected();
  }

  renderList() {
    const r = this.result;
    if (!r || r.views.length < 2) {
      fill(this.frames);
      return;
    }
    fill(this.frames, h("fieldset", { class: "frame-list" },
      h("legend", null, "Frames in the input"),
      r.views.map((v, i) => h("label", { class: `frame-pick${v.error ? " bad" : ""}` },
        h("input", { type: "radio", name: "d-frame", value: String(i), checked: i === this.selected }),
        ` ${i + 1}: ${v.opcode === null ? "?" : opcodeLabel(v.opcode)}`,
        v.error ? " ✗" : v.complete ? "" : " (incomplete)"))));
  }

  showSelected() {
    const r = this.result;
    if (!r) return;
    const view = r.views[this.selected];
    this.showFrame({
      bytes: r.bytes,
      view,
      perspective: "read",
      note: r.views.length > 1 ? `Frame ${this.selected + 1} of ${r.views.length}, starting at byte ${view.offset}.` : undefined,
    });
  }
}
