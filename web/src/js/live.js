// Live mode: the browser's own WebSocket talks to the server's `/inspect` endpoint, which
// reports every frame it reads and writes, byte for byte (see server/README.md). The page
// decodes those bytes with the wasm codec: the frames the browser put on the wire, masking
// key and all, and the server's answers, on one timeline.

import { byId, fill, h, scrollWithin } from "./dom.js";
import { HexError, parseHex } from "./hex.js";
import { opcodeName } from "./opcodes.js";

/** @typedef {typeof import("../pkg/wsprism.js")} Codec */
/** @typedef {import("../pkg/wsprism.js").FrameView} FrameView */
/** @typedef {import("./inspector.js").Shown} Shown */

/**
 * A frame report of `/inspect`.
 * @typedef {object} FrameReport
 * @property {"frame"} type
 * @property {"in" | "out"} direction  in: read by the server (sent by the browser)
 * @property {string} wire             hex, at most 64 KiB of it
 * @property {number} [wireLength]
 * @property {boolean} [truncated]
 * @property {boolean} fin
 * @property {number} opcode
 */

/**
 * One direction's permessage-deflate receiver (RFC 7692): its inflater, kept from message
 * to message for context takeover, and the compressed payload of the message in progress.
 * @typedef {object} Inflow
 * @property {import("../pkg/wsprism.js").Inflater} inflater
 * @property {Uint8Array[] | null} parts  the compressed message so far; null: none open
 * @property {boolean} broken  a truncated report lost bytes: the context is gone
 * @property {number} opcode   the opcode of the message in progress
 */

/** Largest message the page inflates (the codec's default limit is 64 MiB). */
const MAX_INFLATED = 16 << 20;

/** Entries kept on the timeline (older ones are dropped). */
const MAX_ENTRIES = 500;

export class Live {
  /** The timeline's frames, by their button. */
  /** @type {Map<HTMLButtonElement, { bytes: Uint8Array, view: FrameView, report: FrameReport, inflated: import("./inspector.js").Inflated | null }>} */
  frames = new Map();

  /**
   * @param {Codec} codec
   * @param {(s: Shown | string) => void} show
   */
  constructor(codec, show) {
    this.codec = codec;
    this.showFrame = show;
    this.connectBtn = byId("l-connect", HTMLButtonElement);
    this.status = byId("l-status", HTMLElement);
    this.url = new URL("/inspect", location.href);
    this.url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    byId("l-url", HTMLElement).textContent = this.url.href;
    this.sendForm = byId("l-send-form", HTMLFormElement);
    this.message = byId("l-message", HTMLTextAreaElement);
    this.messageError = byId("l-message-error", HTMLElement);
    this.timeline = byId("l-timeline", HTMLOListElement);
    this.follow = byId("l-follow", HTMLInputElement);
    this.controls = [...document.querySelectorAll("#pane-live [data-needs-open]")];
    /** @type {WebSocket | null} */
    this.ws = null;
    this.t0 = 0;
    /** Data messages announced by an `out` report and not delivered to the page yet. */
    this.expectData = 0;
    /** @type {HTMLButtonElement | null} */
    this.selected = null;
    this.serverClosed = false;
    this.peerClosed = false;
    /**
     * permessage-deflate state by direction ("in": browser → server, "out": server →
     * browser), when the handshake agreed on it; else null.
     * @type {{ in: Inflow, out: Inflow } | null}
     */
    this.deflate = null;

    this.connectBtn.addEventListener("click", () => (this.ws ? this.disconnect() : this.connect()));
    this.sendForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this.sendMessage();
    });
    this.message.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.sendMessage();
      }
    });
    byId("l-big-16", HTMLButtonElement).addEventListener("click", () => this.send(filler(300)));
    byId("l-big-64", HTMLButtonElement).addEventListener("click", () => this.send(filler(65536)));
    byId("l-ping-form", HTMLFormElement).addEventListener("submit", (e) => {
      e.preventDefault();
      this.command({ cmd: "ping", payload: byId("l-ping", HTMLInputElement).value });
    });
    byId("l-frag-form", HTMLFormElement).addEventListener("submit", (e) => {
      e.preventDefault();
      this.command({
        cmd: "fragmented",
        text: byId("l-frag-text", HTMLInputElement).value,
        fragmentSize: Number(byId("l-frag-size", HTMLInputElement).value),
      });
    });
    byId("l-close-form", HTMLFormElement).addEventListener("submit", (e) => {
      e.preventDefault();
      this.command({
        cmd: "close",
        code: Number(byId("l-close-code", HTMLInputElement).value),
        reason: byId("l-close-reason", HTMLInputElement).value,
      });
    });
    byId("l-clear", HTMLButtonElement).addEventListener("click", () => {
      fill(this.timeline);
      this.selected = null;
      this.showFrame("The timeline is empty.");
    });
    this.timeline.addEventListener("click", (e) => {
      const b = /** @type {Element} */ (e.target).closest("button.tl-frame");
      if (!(b instanceof HTMLButtonElement)) return;
      // Picking a frame by hand stops following the newest one (the box re-enables it).
      this.follow.checked = false;
      this.select(b);
    });
    this.setState("idle");
  }

  /** @param {"idle" | "connecting" | "open" | "closing"} state @param {string} [text] */
  setState(state, text) {
    this.state = state;
    const open = state === "open";
    for (const c of this.controls) {
      if (c instanceof HTMLButtonElement || c instanceof HTMLInputElement || c instanceof HTMLTextAreaElement) c.disabled = !open;
    }
    this.connectBtn.textContent = state === "idle" ? "Connect" : "Disconnect";
    this.connectBtn.classList.toggle("primary", state === "idle");
    this.status.dataset.state = state;
    this.status.textContent = text ?? {
      idle: "Not connected",
      connecting: "Connecting…",
      open: "Connected",
      closing: "Closing…",
    }[state];
  }

  connect() {
    if (this.ws) return;
    this.t0 = performance.now();
    this.expectData = 0;
    /** Whether the server sent a close frame first (it then reports nothing more). */
    this.serverClosed = false;
    /** Whether the browser's close frame was reported. */
    this.peerClosed = false;
    const ws = new WebSocket(this.url.href);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.setState("connecting");
    this.event("open", `Opening handshake: GET ${this.url.pathname}, Upgrade: websocket`);
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.setState("open");
      this.event("open", "Connected: 101 Switching Protocols");
      this.startDeflate(ws.extensions);
    });
    ws.addEventListener("message", (e) => this.onMessage(e));
    ws.addEventListener("close", (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopDeflate();
      const why = `${e.code}${e.reason ? ` “${e.reason}”` : ""}${e.wasClean ? ", clean" : ", not clean"}`;
      this.setState("idle", `Closed: ${why}`);
      if (this.serverClosed) {
        this.event("page", "The browser answered with its own close frame. The server sent its close frame first, so it sends nothing after it, not even a report (§5.5.1).");
      }
      this.event("close", `The page's WebSocket closed: ${why}`);
    });
    ws.addEventListener("error", () => {
      if (this.ws !== ws) return;
      this.event("error", "The connection failed (is this page served by wsprism-server?)");
    });
  }

  /**
   * Reads the negotiated extensions (`ws.extensions`, the server's answer) and, if it is
   * permessage-deflate, sets up one inflater per direction: the browser compresses what the
   * server reads ("client_*" parameters), the server what the browser reads ("server_*").
   * @param {string} extensions
   */
  startDeflate(extensions) {
    this.stopDeflate();
    // What the handshake agreed on, for anyone reading the page (tests included).
    this.status.dataset.extensions = extensions;
    if (!extensions) {
      this.event("open", "No extension negotiated: frames travel uncompressed.");
      return;
    }
    let offer;
    try {
      offer = this.codec.parseExtensionOffers(extensions)[0];
    } catch (e) {
      this.event("error", `Unreadable Sec-WebSocket-Extensions “${extensions}”: ${e instanceof Error ? e.message : e}`);
      return;
    }
    if (!offer || !offer.ok) {
      this.event("open", `Extensions: ${extensions} (not a usable permessage-deflate: frames are shown as sent).`);
      return;
    }
    const p = offer.params;
    /** @param {boolean} noContextTakeover @returns {Inflow} */
    const inflow = (noContextTakeover) => ({
      inflater: new this.codec.Inflater({ noContextTakeover, maxSize: MAX_INFLATED }),
      parts: null,
      broken: false,
      opcode: 0,
    });
    this.deflate = { in: inflow(p.clientNoContextTakeover), out: inflow(p.serverNoContextTakeover) };
    this.event("open", `permessage-deflate negotiated (${extensions}): compressed frames carry RSV1 and are shown inflated (RFC 7692).`);
  }

  stopDeflate() {
    if (!this.deflate) return;
    this.deflate.in.inflater.free();
    this.deflate.out.inflater.free();
    this.deflate = null;
  }

  /**
   * Follows compressed messages in one direction: collects a compressed message's frames
   * and inflates it at its last frame, with that direction's inflater (so back-references
   * to earlier messages resolve, RFC 7692 §7.2.3.2).
   * @param {FrameReport} r @param {FrameView} view
   * @returns {import("./inspector.js").Inflated | null} the inflated message, at its last frame
   */
  inflate(r, view) {
    const flow = this.deflate?.[r.direction];
    if (!flow || view.error && view.error.rfc !== 7692 && view.error.kind !== "invalid-utf8") return null;
    const op = view.opcode;
    if (op === 1 || op === 2) {
      flow.parts = view.rsv1 ? [] : null;
      flow.opcode = op;
    }
    else if (op !== 0) return null;
    const parts = flow.parts;
    if (parts === null) return null;
    if (r.truncated) flow.broken = true;
    parts.push(view.payload ?? new Uint8Array());
    if (!view.fin) return null;
    flow.parts = null;
    if (flow.broken) return { bytes: null, text: null, error: "Not inflated: a truncated report lost compressed bytes, and with them the shared window." };
    const whole = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of parts) {
      whole.set(b, at);
      at += b.length;
    }
    try {
      const bytes = flow.inflater.decompress(whole);
      const text = flow.opcode === 1 ? new TextDecoder("utf-8", { fatal: true }).decode(bytes) : null;
      return { bytes, text };
    } catch (e) {
      flow.broken = true;
      return { bytes: null, text: null, error: e instanceof Error ? e.message : String(e) };
    }
  }

  disconnect() {
    if (!this.ws) return;
    this.setState("closing");
    this.event("close", "The page called close(): the browser sends a masked close frame (1000). From here on it drops every message that arrives (HTML Standard), so the reports of the closing handshake cannot reach the page.");
    this.ws.close(1000, "bye from the page");
  }

  sendMessage() {
    const mode = /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="l-mode"]:checked'))?.value;
    this.messageError.textContent = "";
    this.message.removeAttribute("aria-invalid");
    if (mode === "binary") {
      try {
        this.send(parseHex(this.message.value));
      } catch (e) {
        this.message.setAttribute("aria-invalid", "true");
        this.messageError.textContent = e instanceof HexError ? e.message : String(e);
      }
    } else {
      this.send(this.message.value);
    }
  }

  /** @param {string | Uint8Array} data */
  send(data) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(data);
  }

  /** @param {object} cmd */
  command(cmd) {
    this.send(JSON.stringify(cmd));
  }

  /** @param {MessageEvent} e */
  onMessage(e) {
    // The server announces each data message it sends with an `out` report first; the
    // message that follows is the data itself, whatever it looks like.
    if (this.expectData > 0 || typeof e.data !== "string") {
      if (this.expectData > 0) this.expectData--;
      const d = e.data;
      const what = typeof d === "string"
        ? `text, ${new TextEncoder().encode(d).length} bytes: “${clip(d, 60)}”`
        : `binary, ${d.byteLength} bytes`;
      this.event("page", `The page got a message: ${what}`);
      return;
    }
    /** @type {any} */
    let r;
    try {
      r = JSON.parse(e.data);
    } catch {
      r = null;
    }
    if (!r || typeof r !== "object") {
      this.event("page", `The page got a message: “${clip(String(e.data), 60)}”`);
      return;
    }
    if (r.type === "frame") this.onFrame(/** @type {FrameReport} */ (r));
    else if (r.type === "error") {
      this.event("error", `The server failed the connection: ${r.kind}, close code ${r.closeCode} (RFC 6455 §${r.rfcSection}): ${r.message}`);
    } else if (r.type === "commandError") this.event("error", `Command refused: ${r.message}`);
    else this.event("page", `The page got a message: “${clip(e.data, 60)}”`);
  }

  /** @param {FrameReport} r */
  onFrame(r) {
    let bytes;
    try {
      bytes = parseHex(r.wire);
    } catch {
      this.event("error", "A report with unreadable bytes");
      return;
    }
    let view = this.codec.decodeFrame(bytes, {
      role: r.direction === "in" ? "server" : "client",
      perMessageDeflate: this.deflate !== null,
    });
    // A compressed message is inflated here, with the direction's own inflater: the view's
    // own inflation (a fresh inflater, no earlier context) is replaced by it.
    const inflated = this.inflate(r, view);
    if (inflated && view.rsv1) {
      const ownError = view.error && (view.error.rfc === 7692 || view.error.kind === "invalid-utf8");
      view = { ...view, inflated: inflated.bytes, text: inflated.text, error: ownError ? null : view.error };
    }
    const dataOp = r.opcode === 0 || r.opcode === 1 || r.opcode === 2;
    if (r.direction === "out" && r.opcode === 8) this.serverClosed = !this.peerClosed;
    if (r.direction === "in" && r.opcode === 8) this.peerClosed = true;
    if (r.direction === "out" && dataOp && r.fin) this.expectData++;
    const t = performance.now() - this.t0;
    const inbound = r.direction === "in";
    const item = h("button", {
      type: "button",
      class: `tl-item tl-frame ${r.direction}`,
      "data-dir": r.direction,
      "data-opcode": String(r.opcode),
      "aria-label": `${inbound ? "browser to server" : "server to browser"}: ${describe(view)}`,
    },
    h("span", { class: "tl-time" }, `+${(t / 1000).toFixed(3)}s`),
    h("span", { class: "tl-dir", "aria-hidden": "true", title: inbound ? "browser → server" : "server → browser" }, inbound ? "→" : "←"),
    h("span", { class: "tl-op" }, view.opcodeName === null ? "?" : opcodeName(view.opcode ?? 0)),
    h("span", { class: "tl-flags" }, [view.fin ? "FIN" : "", view.rsv1 ? "RSV1" : "", view.masked ? "MASK" : ""].filter(Boolean).join(" ")),
    h("span", { class: "tl-len" }, `${r.wireLength ?? bytes.length} B`),
    h("span", { class: "tl-preview" }, preview(view)));
    const entry = { bytes, view, report: r, inflated };
    this.frames.set(item, entry);
    this.push(h("li", null, item));
    if (this.follow.checked) this.select(item);
  }

  /** @param {HTMLButtonElement} item */
  select(item) {
    const entry = this.frames.get(item);
    if (!entry) return;
    this.selected?.removeAttribute("aria-current");
    item.setAttribute("aria-current", "true");
    this.selected = item;
    scrollWithin(this.timeline, /** @type {HTMLElement} */ (item.parentElement));
    const r = entry.report;
    const inbound = r.direction === "in";
    const truncated = r.truncated ? ` The report carries the first ${entry.bytes.length.toLocaleString("en")} of ${(r.wireLength ?? 0).toLocaleString("en")} bytes.` : "";
    this.showFrame({
      bytes: entry.bytes,
      view: entry.view,
      perspective: "read",
      inflated: entry.inflated ?? undefined,
      note: (inbound
        ? "Sent by this browser, as the server read it: masked with the key the browser picked for this frame."
        : "Sent by the server: unmasked, as servers send (§5.1).") + truncated,
    });
  }

  /** @param {string} kind @param {string} text */
  event(kind, text) {
    const t = performance.now() - this.t0;
    this.push(h("li", { class: `tl-event ${kind}` },
      h("span", { class: "tl-time" }, `+${(t / 1000).toFixed(3)}s`),
      h("span", { class: "tl-dir", "aria-hidden": "true" }, kind === "error" ? "!" : "•"),
      h("span", { class: "tl-text" }, text)));
  }

  /** @param {HTMLLIElement} li */
  push(li) {
    const atEnd = this.timeline.scrollTop + this.timeline.clientHeight >= this.timeline.scrollHeight - 8;
    this.timeline.append(li);
    while (this.timeline.children.length > MAX_ENTRIES) {
      const old = this.timeline.firstElementChild;
      const b = old?.querySelector("button");
      if (b) this.frames.delete(b);
      old?.remove();
    }
    if (atEnd) this.timeline.scrollTop = this.timeline.scrollHeight;
  }
}

/** A short reading of a frame's payload. @param {FrameView} v */
function preview(v) {
  if (v.opcode === 8 && v.closeCode !== null) return `${v.closeCode}${v.closeReason ? ` “${clip(v.closeReason, 30)}”` : ""}`;
  if (v.text !== null) return `“${clip(v.text, 40)}”`;
  if (v.payload && v.payload.length) {
    const s = new TextDecoder("utf-8", { fatal: false }).decode(v.payload.subarray(0, 40));
    return v.opcode === 0 || v.opcode === 9 || v.opcode === 10 ? `“${clip(s, 40)}”` : `${v.payload.length} bytes`;
  }
  return "";
}

/** @param {FrameView} v */
function describe(v) {
  return `${v.opcodeName ?? "frame"}${v.fin ? "" : ", not final"}${v.masked ? ", masked" : ""}, ${v.payloadLength ?? "?"} byte payload ${preview(v)}`;
}

/** @param {string} s @param {number} n */
function clip(s, n) {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

/** A readable text of `n` bytes. @param {number} n */
function filler(n) {
  const unit = "The quick brown fox jumps over the lazy dog. ";
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}
