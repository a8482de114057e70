// The frame model the views share: which field every bit and byte belongs to, with a
// sentence for each. Built from the wasm codec's `decodeFrame` view (which owns every rule);
// this module only lays the fields out. No DOM.

import { bits, grouped, toHex } from "./hex.js";
import { opcodeLabel, opcodeMeaning } from "./opcodes.js";

/** @typedef {import("../pkg/wsprism.js").FrameView} FrameView */
/** @typedef {"hdr" | "len" | "key" | "pay"} Group */

/** The four byte groups of a frame, in wire order, with the colour key of each. */
/** @type {{ id: Group, label: string, long: string }[]} */
export const GROUPS = [
  { id: "hdr", label: "Header", long: "Header: FIN, RSV1-3, opcode, MASK, Payload len" },
  { id: "len", label: "Extended length", long: "Extended payload length" },
  { id: "key", label: "Masking key", long: "Masking key" },
  { id: "pay", label: "Payload", long: "Payload data" },
];

/**
 * A field of the header, in bits counted from the frame's first bit.
 * @typedef {object} BitField
 * @property {string} id
 * @property {Group} group
 * @property {string} name     as in the RFC's diagram
 * @property {number} start    first bit
 * @property {number} bits     width
 * @property {string} value    the value, short (shown in the diagram)
 * @property {string} meaning  a sentence (shown on hover/focus)
 */

/**
 * One frame inside a byte array.
 * @typedef {object} FrameModel
 * @property {Uint8Array} bytes     all the bytes shown (the frame may start later)
 * @property {FrameView} view
 * @property {number} start         the frame's first byte in `bytes`
 * @property {number} headerEnd     end of the header bytes present
 * @property {number} payloadStart
 * @property {number} payloadEnd    end of the payload bytes present
 * @property {number} frameEnd      end of the frame's bytes present
 * @property {BitField[]} fields
 */

/**
 * @param {Uint8Array} bytes
 * @param {FrameView} view a view from `decodeFrame(bytes)` or one of `decodeFrames(bytes)`
 * @returns {FrameModel}
 */
export function frameModel(bytes, view) {
  const start = view.offset;
  const sp = view.spans;
  const n = bytes.length;
  const headerEnd = Math.min(n, sp.header ? sp.header[1] : n);
  const payloadStart = sp.payload ? sp.payload[0] : headerEnd;
  const payloadEnd = sp.payload ? Math.min(n, sp.payload[1]) : payloadStart;
  return {
    bytes,
    view,
    start,
    headerEnd,
    payloadStart,
    payloadEnd,
    frameEnd: Math.max(headerEnd, payloadEnd),
    fields: bitFields(bytes, view),
  };
}

/**
 * Which group a byte belongs to, or null outside the frame.
 * @param {FrameModel} m
 * @param {number} i index in `m.bytes`
 * @returns {Group | null}
 */
export function groupOf(m, i) {
  const sp = m.view.spans;
  if (i < m.start) return null;
  if (i < m.start + 2) return "hdr";
  if (sp.extendedLength && i < sp.extendedLength[1]) return "len";
  if (sp.maskKey && i < sp.maskKey[1]) return "key";
  if (sp.payload && i >= sp.payload[0] && i < sp.payload[1]) return "pay";
  return null;
}

/**
 * The header's fields as the RFC 6455 §5.2 diagram draws them, as far as the bytes reach.
 * @param {Uint8Array} bytes
 * @param {FrameView} v
 * @returns {BitField[]}
 */
function bitFields(bytes, v) {
  /** @type {BitField[]} */
  const out = [];
  const at = v.offset;
  if (bytes.length <= at) return out;
  const b0 = bytes[at];
  const flag = (/** @type {number} */ bit) => (b0 >> (7 - bit)) & 1;
  out.push({
    id: "fin",
    group: "hdr",
    name: "FIN",
    start: 0,
    bits: 1,
    value: String(flag(0)),
    meaning: flag(0)
      ? "FIN = 1: this is the final fragment of its message (§5.2)."
      : "FIN = 0: more fragments of this message follow (§5.4).",
  });
  for (const k of [1, 2, 3]) {
    out.push({
      id: `rsv${k}`,
      group: "hdr",
      name: `RSV${k}`,
      start: k,
      bits: 1,
      value: String(flag(k)),
      meaning: flag(k)
        ? `RSV${k} = 1: only allowed when a negotiated extension defines it; otherwise the receiver fails the connection (§5.2).`
        : `RSV${k} = 0: reserved for extensions, none is in use (§5.2).`,
    });
  }
  const op = b0 & 0x0f;
  out.push({
    id: "opcode",
    group: "hdr",
    name: "opcode",
    start: 4,
    bits: 4,
    value: opcodeLabel(op),
    meaning: `opcode = ${bits(op, 4)} = ${opcodeLabel(op)}: ${opcodeMeaning(op)}.`,
  });
  if (bytes.length <= at + 1) return out;
  const b1 = bytes[at + 1];
  const masked = b1 >> 7;
  const len7 = b1 & 0x7f;
  out.push({
    id: "mask",
    group: "hdr",
    name: "MASK",
    start: 8,
    bits: 1,
    value: String(masked),
    meaning: masked
      ? "MASK = 1: the payload is XORed with the 32-bit masking key that follows. Every frame a client sends is masked (§5.3)."
      : "MASK = 0: the payload is sent as is. A server never masks; a client always must (§5.1).",
  });
  out.push({
    id: "len7",
    group: "hdr",
    name: "Payload len",
    start: 9,
    bits: 7,
    value: String(len7),
    meaning:
      len7 <= 125
        ? `Payload len = ${len7} (${bits(len7, 7)}): 0-125 is the payload length itself (§5.2).`
        : `Payload len = ${len7} (${bits(len7, 7)}): the length follows as a ${len7 === 126 ? "16" : "64"}-bit unsigned integer in network byte order (§5.2).`,
  });
  const ext = v.spans.extendedLength;
  if (ext) {
    const width = (ext[1] - ext[0]) * 8;
    const have = bytes.subarray(ext[0], Math.min(bytes.length, ext[1]));
    const full = have.length * 8 === width;
    out.push({
      id: "extlen",
      group: "len",
      name: `Extended payload length (${width})`,
      start: 16,
      bits: width,
      value: full ? grouped(readUint(have)) : "…",
      meaning: full
        ? `Extended payload length = 0x${toHex(have, "")} = ${grouped(readUint(have))} bytes, a ${width}-bit unsigned integer, most significant byte first (§5.2).`
        : `Extended payload length: ${width} bits, ${have.length} of ${width / 8} bytes present.`,
    });
  }
  const key = v.spans.maskKey;
  if (key) {
    const have = bytes.subarray(key[0], Math.min(bytes.length, key[1]));
    out.push({
      id: "maskkey",
      group: "key",
      name: "Masking-key",
      start: (key[0] - at) * 8,
      bits: 32,
      value: toHex(have),
      meaning:
        have.length === 4
          ? `Masking-key = ${toHex(have)}: payload byte i is XORed with key byte i mod 4 (§5.3). The client picks a fresh, unpredictable key for every frame.`
          : `Masking-key: ${have.length} of 4 bytes present.`,
    });
  }
  return out;
}

/** An unsigned big-endian integer as a bigint when it exceeds 2^53. @param {Uint8Array} b */
function readUint(b) {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/**
 * Why the payload length was written the way it was: the three encodings of §5.2 and the
 * one this frame uses.
 * @param {FrameView} v
 * @returns {{ chosen: 7 | 16 | 64 | null, text: string, warning: string | null }}
 */
export function lengthStory(v) {
  const len = v.payloadLength;
  const enc = v.lengthEncoding;
  if (enc === null) return { chosen: null, text: "The length is in the second byte, which is not here yet.", warning: null };
  if (len === null) {
    const text =
      enc === 7
        ? "The 7-bit length is here."
        : `Payload len says ${enc === 16 ? 126 : 127}: the length is in the next ${enc / 8} bytes, which are not all here yet.`;
    return { chosen: enc, text, warning: null };
  }
  const n = grouped(len);
  /** @type {string} */
  let text;
  if (enc === 7) {
    text = `${n} byte${len === 1 ? "" : "s"} fits in 0-125, so the 7-bit Payload len field holds the length itself: ${bits(Number(len), 7)}. The header is ${v.masked ? "2 + 4 (masking key)" : "2"} bytes.`;
  } else if (enc === 16) {
    text = `${n} bytes is more than 125 and at most 65,535, so Payload len is 126 (1111110) and the next 2 bytes hold the length as a 16-bit unsigned integer: 0x${Number(len).toString(16).padStart(4, "0")}.`;
  } else {
    text = `${n} bytes is more than 65,535, so Payload len is 127 (1111111) and the next 8 bytes hold the length as a 64-bit unsigned integer whose most significant bit must be 0: 0x${BigInt(len).toString(16).padStart(16, "0")}.`;
  }
  const warning =
    v.minimalLength === false
      ? `Not the shortest encoding: §5.2 says the minimal number of bytes MUST be used, so ${n} should have used the ${Number(len) <= 125 ? "7" : "16"}-bit form.`
      : null;
  return { chosen: enc, text, warning };
}

/** A payload byte, for the masking table's character column. @param {number} b */
export function charOf(b) {
  if (b === 0x20) return "␠";
  return b > 0x20 && b < 0x7f ? String.fromCharCode(b) : "";
}

