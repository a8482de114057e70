// The playground's hex reader (web/src/js/hex.js), on its own: every notation the decode
// pane promises, and the errors it gives.

import assert from "node:assert/strict";
import { test } from "node:test";
import { HexError, parseHex, toHex } from "../../web/src/js/hex.js";

const HELLO = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];

test("reads every common notation of the same bytes", () => {
  const notations = [
    "81 85 37 fa 21 3d 7f 9f 4d 51 58",
    "0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58",
    "0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58",
    "[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]",
    "\\x81\\x85\\x37\\xfa\\x21\\x3d\\x7f\\x9f\\x4d\\x51\\x58",
    "81:85:37:fa:21:3d:7f:9f:4d:51:58",
    "818537fa213d7f9f4d5158",
    "8185 37fa 213d 7f9f 4d51 58",
    "0x810x850x370xfa0x210x3d0x7f0x9f0x4d0x510x58",
    "81 85 37 fa\n21 3d 7f 9f\r\n\t4d 51 58\n",
  ];
  for (const n of notations) assert.deepEqual([...parseHex(n)], HELLO, n);
});

test("a prefixed number may have one digit", () => {
  assert.deepEqual([...parseHex("0x5, 0xa, 0xff")], [0x05, 0x0a, 0xff]);
  assert.deepEqual([...parseHex("")], []);
  assert.deepEqual([...parseHex("  \n ")], []);
});

test("rejects what is not hex, saying where", () => {
  assert.throws(() => parseHex("81 8g"), (e) => e instanceof HexError && e.index === 4 && /"g"/.test(e.message));
  assert.throws(() => parseHex("818"), (e) => e instanceof HexError && /odd number/.test(e.message));
  assert.throws(() => parseHex("81 5 37"), (e) => e instanceof HexError && e.index === 3);
  assert.throws(() => parseHex("hello"), HexError);
});

test("toHex writes what parseHex reads", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(toHex(bytes.subarray(0, 3)), "00 01 02");
  assert.equal(toHex(bytes.subarray(254), ""), "feff");
  assert.deepEqual(parseHex(toHex(bytes)), bytes);
});
