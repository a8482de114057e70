// Opcode and close-code vocabulary of RFC 6455 (§5.2, §7.4.1), for labels and explanations.
// The codec decides validity; these only name things.

/** @type {Record<number, string>} */
const NAMES = {
  0x0: "continuation",
  0x1: "text",
  0x2: "binary",
  0x8: "close",
  0x9: "ping",
  0xa: "pong",
};

/** @type {Record<number, string>} */
const MEANING = {
  0x0: "a continuation frame: the next fragment of a message (§5.4)",
  0x1: "a text frame: the payload is UTF-8 (§5.6)",
  0x2: "a binary frame: the payload is bytes for the application (§5.6)",
  0x8: "a close frame: a status code and reason may follow (§5.5.1)",
  0x9: "a ping: the peer answers with a pong carrying the same payload (§5.5.2)",
  0xa: "a pong: the answer to a ping, or an unsolicited heartbeat (§5.5.3)",
};

/** The name of an opcode, or `reserved` for 0x3-0x7 and 0xB-0xF. @param {number} op */
export function opcodeName(op) {
  return NAMES[op] ?? "reserved";
}

/** `0x1 text` @param {number} op */
export function opcodeLabel(op) {
  return `0x${op.toString(16).toUpperCase()} ${opcodeName(op)}`;
}

/** What a frame with this opcode is, in a sentence. @param {number} op */
export function opcodeMeaning(op) {
  if (MEANING[op]) return MEANING[op];
  return op < 8
    ? "reserved for future data frames: a receiver fails the connection (§5.2)"
    : "reserved for future control frames: a receiver fails the connection (§5.2)";
}

/** Every opcode 0-15, grouped as the builder's menu shows them. */
export const OPCODE_GROUPS = [
  { label: "Data frames", codes: [0x1, 0x2, 0x0, 0x3, 0x4, 0x5, 0x6, 0x7] },
  { label: "Control frames", codes: [0x8, 0x9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf] },
];

/** Close codes worth offering in a menu (§7.4.1 and IANA's registry). */
export const CLOSE_CODES = [
  1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015,
  3000, 4000,
];
