// A TypeScript consumer of the installed package: `tsc --noEmit` must accept it, so every
// export has a usable type (no `any` leaks into what the caller sees).
import {
  Decoder,
  Deflater,
  Encoder,
  Inflater,
  compressMessage,
  deflateRaw,
  inflateMessage,
  parseExtensionOffers,
  type ExtensionOffer,
  acceptKey,
  closeCodeName,
  decodeClosePayload,
  decodeFrame,
  decodeFrames,
  encodeClosePayload,
  encodeFrame,
  isProtocolError,
  isValidCloseCode,
  isValidKey,
  isValidUtf8,
  mask,
  type ClosePayload,
  type DecoderEvent,
  type ErrorKind,
  type FrameInit,
  type FrameView,
  type Span,
  type WebSocketProtocolError,
} from "wsprism";

const init: FrameInit = { opcode: "text", payload: "Hello", maskKey: new Uint8Array([1, 2, 3, 4]) };
const wire: Uint8Array = encodeFrame(init);
const view: FrameView = decodeFrame(wire, { role: "server", maxFrameSize: 1024 });
const span: Span | null = view.spans.payload;
const length: number | bigint | null = view.payloadLength;
const encoding: 7 | 16 | 64 | null = view.lengthEncoding;
const text: string | null = view.text;
const kind: ErrorKind | undefined = view.error?.kind;
const views: FrameView[] = decodeFrames(wire);

const dec = new Decoder({ role: "server", maxMessageSize: 1 << 20, frames: true });
try {
  for (const ev of dec.push(wire)) {
    const e: DecoderEvent = ev;
    switch (e.type) {
      case "text": {
        const s: string = e.data;
        break;
      }
      case "binary":
      case "ping":
      case "pong": {
        const b: Uint8Array = e.data;
        break;
      }
      case "close": {
        const code: number = e.code;
        const reason: string = e.reason;
        break;
      }
      case "frame": {
        const op: number = e.opcode;
        const fin: boolean = e.fin;
        break;
      }
    }
  }
} catch (err: unknown) {
  if (isProtocolError(err)) {
    const e: WebSocketProtocolError = err;
    const code: number = e.closeCode;
    const section: string = e.rfcSection;
    const before: DecoderEvent[] | undefined = e.events;
  }
}
const closed: boolean = dec.closed;
const failed: boolean = dec.failed;
dec.free();

const enc = new Encoder({ role: "client" });
const frames: Uint8Array[] = [
  enc.text("hi"),
  enc.binary(new Uint8Array(3), false),
  enc.continuation(new Uint8Array(1)),
  enc.ping(),
  enc.pong(new Uint8Array([1])),
  enc.close(1000, "bye"),
];
enc.free();
const server = new Encoder({ role: "server" });
const header: Uint8Array = server.header("binary", 65536);
server.free();

const masked: Uint8Array = mask(new Uint8Array(8), new Uint8Array([1, 2, 3, 4]), 2);
const accept: string = acceptKey("dGhlIHNhbXBsZSBub25jZQ==");
const validKey: boolean = isValidKey(accept);
const payload: Uint8Array = encodeClosePayload(1001, "going");
const parsed: ClosePayload | null = decodeClosePayload(payload);
const name: string | undefined = closeCodeName(1001);
const ok: boolean = isValidCloseCode(1001) && isValidUtf8(new Uint8Array([0x68, 0x69]));

// permessage-deflate (RFC 7692).
const hello: Uint8Array = compressMessage("Hello", { noContextTakeover: true });
const raw: Uint8Array = deflateRaw(new Uint8Array([1, 2, 3]));
const back: Uint8Array = inflateMessage(hello, { maxSize: 1024 });
const tx = new Deflater({ noContextTakeover: false });
const rx = new Inflater({ maxSize: 1 << 20 });
const round: Uint8Array = rx.decompress(tx.compress("Hello"));
tx.free();
rx.free();
const offers: ExtensionOffer[] = parseExtensionOffers("permessage-deflate; client_max_window_bits");
const clientBits: number | true | null = offers[0]?.ok ? offers[0].params.clientMaxWindowBits : null;
const inflatingDecoder = new Decoder({ role: "client", perMessageDeflate: { noContextTakeover: true } });
const compressedFlag: boolean = inflatingDecoder
  .push(new Uint8Array([0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]))
  .some((ev: DecoderEvent) => ev.type === "text" && ev.compressed === true);
inflatingDecoder.free();
const inflatedView: Uint8Array | null = decodeFrame(hello, { perMessageDeflate: true }).inflated;

export { back, clientBits, compressedFlag, inflatedView, raw, round };
export { accept, closed, encoding, failed, frames, header, kind, length, masked, name, ok, parsed, span, text, validKey, views };
