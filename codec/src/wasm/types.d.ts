
/** The end of a connection: a server reads masked frames and sends unmasked ones (RFC 6455 §5.1). */
export type Role = "server" | "client";

/** The names of the defined opcodes, and of the reserved ranges. */
export type OpcodeName =
  | "continuation" | "text" | "binary" | "close" | "ping" | "pong"
  | "reserved-data" | "reserved-control";

/** The rule a frame or message broke (the codec's `Error::kind()`). */
export type ErrorKind =
  | "reserved-bits-set" | "reserved-opcode" | "fragmented-control-frame"
  | "control-frame-too-long" | "unmasked-frame" | "masked-frame" | "invalid-payload-length"
  | "frame-too-large" | "message-too-large" | "unexpected-continuation"
  | "expected-continuation" | "invalid-utf8" | "close-too-short" | "invalid-close-code"
  | "invalid-close-reason"
  // RFC 7692 permessage-deflate
  | "misplaced-per-message-rsv" | "invalid-compressed-data" | "decompressed-too-large";

/** A broken rule, as data: what `decodeFrame` reports in `error` (nothing is thrown there). */
export interface ProtocolErrorInfo {
  kind: ErrorKind;
  /** The close code to fail the connection with: 1002, 1007 or 1009. */
  closeCode: number;
  /** The RFC that states the rule: 6455, or 7692 for the permessage-deflate rules. */
  rfc: 6455 | 7692;
  /** The section of that RFC, e.g. "5.2". */
  rfcSection: string;
  /** The codec's description, ending with the RFC section. */
  message: string;
}

/** What the codec throws for a protocol violation. Test with `isProtocolError(e)`. */
export interface WebSocketProtocolError extends Error {
  name: "WebSocketProtocolError";
  kind: ErrorKind;
  closeCode: number;
  rfc: 6455 | 7692;
  rfcSection: string;
  /** From `Decoder.push`: the events completed in the same chunk before the violation. */
  events?: DecoderEvent[];
}

/** `encodeFrame`'s argument. */
export interface FrameInit {
  /** Default true. */
  fin?: boolean;
  /** Default false; RSV bits are allowed (extensions define them). */
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** 0-15, or a name. */
  opcode: number | OpcodeName;
  /** Mask the payload. Without `maskKey`, a random key (crypto.getRandomValues). */
  mask?: boolean;
  /** Exactly 4 bytes; implies `mask: true`. */
  maskKey?: Uint8Array | null;
  /** Bytes, or a string sent as UTF-8. Default empty. */
  payload?: Uint8Array | ArrayBuffer | string;
  /** Allow frames no endpoint may send (reserved opcodes, bad control frames), to test a peer. */
  unchecked?: boolean;
}

/** Options of `decodeFrame` / `decodeFrames`. */
export interface DecodeFrameOptions {
  /** The receiving end. Without it, the MASK bit decides and masking is not judged. */
  role?: Role;
  /** Largest payload a frame may declare (frame-too-large, 1009). Default: no limit. */
  maxFrameSize?: number;
  /** RSV bits a negotiated extension defines, as in the first byte: 0x40 (RSV1), 0x20, 0x10. */
  allowedRsv?: number;
  /**
   * RFC 7692 permessage-deflate was negotiated: RSV1 is allowed (and an error on control and
   * continuation frames, §6.1); a compressed single-frame message is inflated into
   * `inflated` (a fresh inflater: no earlier context) and a text one shown as `text`.
   */
  perMessageDeflate?: boolean;
}

/** A byte range `[start, end)` in the bytes given to `decodeFrame(s)`. */
export type Span = [start: number, end: number];

/**
 * One frame taken apart. Fields that the bytes do not reach yet are `null`.
 * `payloadLength` is a number, or a bigint above 2^53 - 1 (a length no buffer can hold, but
 * a header can declare). Spans and other lengths are numbers.
 */
export interface FrameView {
  /** Where the frame starts (0 for decodeFrame; its position for decodeFrames). */
  offset: number;
  /** The whole frame (header and payload) is present. */
  complete: boolean;
  /** The whole header is present. */
  headerComplete: boolean;
  /** Bytes still missing: exact once the header is complete, a lower bound before. `null` when the length is unreadable. */
  bytesNeeded: number | null;
  fin: boolean | null;
  rsv1: boolean | null;
  rsv2: boolean | null;
  rsv3: boolean | null;
  opcode: number | null;
  opcodeName: OpcodeName | null;
  isControl: boolean | null;
  masked: boolean | null;
  maskKey: Uint8Array | null;
  payloadLength: number | bigint | null;
  /** Width of the length field: 7 (0-125), 16 (126 + 2 bytes) or 64 bits (127 + 8 bytes). */
  lengthEncoding: 7 | 16 | 64 | null;
  /** Whether the shortest length encoding was used, as §5.2 asks of senders. */
  minimalLength: boolean | null;
  headerLength: number | null;
  /** Header plus payload: where the next frame starts. */
  frameLength: number | null;
  spans: {
    /** The two fixed bytes: FIN, RSV1-3, opcode, MASK, 7-bit length. */
    base: Span | null;
    extendedLength: Span | null;
    maskKey: Span | null;
    /** The declared payload (may reach past the bytes given). */
    payload: Span | null;
    /** The whole header. */
    header: Span | null;
  };
  /** The payload bytes present, as on the wire. */
  maskedPayload: Uint8Array | null;
  /** The payload bytes present, unmasked. */
  payload: Uint8Array | null;
  /** A complete text frame's payload, when it is valid UTF-8 on its own. */
  text: string | null;
  /** With `perMessageDeflate`: a compressed (RSV1, FIN) frame's payload, inflated. */
  inflated: Uint8Array | null;
  /** A complete close frame's status code (shown even when it may not be sent). */
  closeCode: number | null;
  closeCodeName: string | null;
  closeReason: string | null;
  /** The first rule the frame breaks, in the order a receiver checks them; else null. */
  error: ProtocolErrorInfo | null;
}

/** Options of `new Decoder(...)`. */
export interface DecoderOptions {
  /** The end this decoder reads for. */
  role: Role;
  /** Largest message, all fragments together (1009 beyond). Default 64 MiB. */
  maxMessageSize?: number;
  /** Largest frame payload (1009 beyond). Default 16 MiB. */
  maxFrameSize?: number;
  /** RSV bits a negotiated extension defines (0x40, 0x20, 0x10). Default none. */
  allowedRsv?: number;
  /** Also report every frame header as a `FrameEvent`. Default false. */
  frames?: boolean;
  /**
   * RFC 7692 permessage-deflate was negotiated: messages whose first frame has RSV1 come out
   * inflated (at most `maxMessageSize`), with `compressed: true`. `noContextTakeover` is the
   * sending peer's (its compressor resets for each message). Default false.
   */
  perMessageDeflate?: boolean | { noContextTakeover?: boolean };
}

/** `compressed: true` when the message arrived compressed (permessage-deflate). */
export interface TextMessage { type: "text"; data: string; compressed?: true }
export interface BinaryMessage { type: "binary"; data: Uint8Array; compressed?: true }
export interface PingMessage { type: "ping"; data: Uint8Array }
export interface PongMessage { type: "pong"; data: Uint8Array }
/** `code` is 1005 when the close frame carried no status code (as browsers report it). */
export interface CloseMessage { type: "close"; code: number; reason: string }
/** With `frames: true`: a frame header the decoder accepted, before the message it completes. */
export interface FrameEvent {
  type: "frame";
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  opcodeName: OpcodeName;
  masked: boolean;
  payloadLength: number | bigint;
}
export type Message = TextMessage | BinaryMessage | PingMessage | PongMessage | CloseMessage;
export type DecoderEvent = Message | FrameEvent;

/** Options of `new Encoder(...)`. */
export interface EncoderOptions {
  /** The end that sends: a client masks every frame with a fresh random key. */
  role: Role;
}

/** A parsed close payload. */
export interface ClosePayload { code: number; reason: string }

/** Options of `compressMessage` and `new Deflater(...)`. */
export interface DeflateOptions {
  /** Reset the compressor after each message (RFC 7692 §7.1.1). Default false. */
  noContextTakeover?: boolean;
}

/** Options of `inflateMessage`. */
export interface InflateOptions {
  /** Largest inflated size; beyond it a `WebSocketProtocolError` with close code 1009. Default 64 MiB. */
  maxSize?: number;
}

/** Options of `new Inflater(...)`. */
export interface InflaterOptions extends InflateOptions {
  /** The peer resets its compressor for each message: drop the window after each. Default false. */
  noContextTakeover?: boolean;
}

/** The parameters of a valid permessage-deflate offer (RFC 7692 §7.1). */
export interface PerMessageDeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** 8-15, or null when absent. */
  serverMaxWindowBits: number | null;
  /** null when absent, true when present without a value, else 8-15. */
  clientMaxWindowBits: number | true | null;
}

/** One permessage-deflate element of a `Sec-WebSocket-Extensions` header. */
export type ExtensionOffer =
  | { ok: true; params: PerMessageDeflateParams }
  | { ok: false; error: string };
