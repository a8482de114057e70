// Hex in and out. Pure functions (no DOM, no wasm): the decode pane, the live view and the
// tests share them.

/** Raised by `parseHex` with the position of the first character it could not read. */
export class HexError extends Error {
  /**
   * @param {string} message
   * @param {number} index where in the input the problem is
   */
  constructor(message, index) {
    super(message);
    this.name = "HexError";
    this.index = index;
  }
}

// One token: an optional `0x` / `\x` prefix and hex digits (stopping before the next
// prefix, so `0x810x85` reads as two bytes), or a run of separators, or any other character.
const TOKEN = /(0x|\\x)?([0-9a-f]+?)(?=0x|\\x|[^0-9a-f]|$)|([\s,;:|_\-[\]{}()"'`]+)|(.)/giy;
// The longest prefix made only of prefixes, digits and separators.
const VALID = /(?:0x|\\x|[0-9a-f]|[\s,;:|_\-[\]{}()"'`])*/iy;

/**
 * Reads bytes written in hex in any common notation: `81 85 37 fa`, `0x81, 0x85`,
 * `\x81\x85`, `81:85:37`, `818537fa`, a C or JS array `[0x81, 0x85]`, over several lines.
 * A digit pair never straddles a separator; a prefixed number may have one digit (`0x5`).
 *
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {HexError} for a character that is not hex or a separator, or an unprefixed
 *   group with an odd number of digits (the byte boundary would be a guess)
 */
export function parseHex(text) {
  /** @type {number[]} */
  const out = [];
  VALID.lastIndex = 0;
  VALID.exec(text);
  if (VALID.lastIndex < text.length) {
    const i = VALID.lastIndex;
    throw new HexError(`${JSON.stringify(text[i])} at position ${i + 1} is not a hex digit`, i);
  }
  TOKEN.lastIndex = 0;
  let m;
  while (TOKEN.lastIndex < text.length && (m = TOKEN.exec(text)) !== null) {
    const [, prefix, digits, , other] = m;
    if (other !== undefined) {
      const shown = JSON.stringify(other);
      throw new HexError(`${shown} at position ${m.index + 1} is not a hex digit`, m.index);
    }
    if (digits === undefined) continue; // separators
    let d = digits;
    if (d.length % 2 === 1) {
      if (!prefix) {
        throw new HexError(
          `"${d}" at position ${m.index + 1} has an odd number of hex digits`,
          m.index,
        );
      }
      d = "0" + d;
    }
    for (let i = 0; i < d.length; i += 2) out.push(parseInt(d.slice(i, i + 2), 16));
  }
  return Uint8Array.from(out);
}

/**
 * Lower-case hex of `bytes`, two digits per byte, joined by `sep`.
 * @param {ArrayLike<number>} bytes
 * @param {string} [sep]
 */
export function toHex(bytes, sep = " ") {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) s += sep;
    s += byteHex(bytes[i]);
  }
  return s;
}

/** @param {number} b */
export function byteHex(b) {
  return (b < 16 ? "0" : "") + b.toString(16);
}

/** @param {number} b @param {number} [width] */
export function bits(b, width = 8) {
  return b.toString(2).padStart(width, "0");
}

/** A printable character for a byte in a hex dump's text column (`.` otherwise). */
/** @param {number} b */
export function printable(b) {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
}

/** `1,234` style grouping, independent of the machine's locale. */
/** @param {number | bigint} n */
export function grouped(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
