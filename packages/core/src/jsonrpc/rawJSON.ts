/**
 * A JSON value a handler has already encoded (UTF-8 bytes of one JSON value), spliced into the response as is: no
 * `JSON.stringify`, no second UTF-8 pass. For large results built straight into one buffer (0G storage segments with
 * their base64 data). The bytes are trusted: they must be valid JSON, or the client gets a broken response.
 */
export class RawJSON {
  constructor(readonly bytes: Uint8Array) {}
}

const HEAD = Buffer.from('{"jsonrpc":"2.0","id":');
const RESULT = Buffer.from(',"result":');
const TAIL = Buffer.from("}");

/** `{"jsonrpc":"2.0","id":…,"result":…}` with the id echoed as JSON.stringify writes it (1.7e16 stays a number). */
export function rawResponse(id: string | number | null, result: RawJSON): Buffer {
  const idBytes = Buffer.from(JSON.stringify(id));
  const { bytes } = result;
  return Buffer.concat([HEAD, idBytes, RESULT, bytes, TAIL], HEAD.length + idBytes.length + RESULT.length + bytes.length + TAIL.length);
}
