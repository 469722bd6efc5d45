/**
 * An incremental UTF-8 decoder, WHATWG's algorithm (what `TextDecoder` does, U+FFFD for each maximal invalid
 * subsequence) written out so the text of a response does not depend on the ICU or simdutf inside a given Node.
 * Fed bytes in any split it yields only complete characters and the same text as decoding them at once.
 */
export class Utf8Decoder {
  private need = 0;
  private seen = 0;
  private cp = 0;
  private lower = 0x80;
  private upper = 0xbf;

  decode(bytes: ArrayLike<number>, from = 0, to = bytes.length): string {
    const out: number[] = [];
    for (let i = from; i < to; i++) {
      const b = bytes[i]!;
      if (this.need === 0) {
        if (b <= 0x7f) out.push(b);
        else if (b >= 0xc2 && b <= 0xdf) this.start(1, b & 0x1f);
        else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) this.lower = 0xa0;
          if (b === 0xed) this.upper = 0x9f;
          this.start(2, b & 0x0f);
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) this.lower = 0x90;
          if (b === 0xf4) this.upper = 0x8f;
          this.start(3, b & 0x07);
        } else out.push(0xfffd);
        continue;
      }
      if (b < this.lower || b > this.upper) {
        // The sequence broke off: one replacement character, and the byte starts afresh.
        this.reset();
        out.push(0xfffd);
        i--;
        continue;
      }
      this.lower = 0x80;
      this.upper = 0xbf;
      this.cp = (this.cp << 6) | (b & 0x3f);
      if (++this.seen === this.need) {
        out.push(this.cp);
        this.reset();
      }
    }
    return codePointsToString(out);
  }

  /** The end of the input: an unfinished sequence becomes U+FFFD. */
  end(): string {
    const pending = this.need !== 0;
    this.reset();
    return pending ? "\ufffd" : "";
  }

  private start(need: number, bits: number): void {
    this.need = need;
    this.cp = bits;
  }

  private reset(): void {
    this.need = 0;
    this.seen = 0;
    this.cp = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }
}

function codePointsToString(cps: number[]): string {
  let s = "";
  for (let i = 0; i < cps.length; i += 4096) s += String.fromCodePoint(...cps.slice(i, i + 4096));
  return s;
}

export function decodeUtf8(bytes: ArrayLike<number>): string {
  const d = new Utf8Decoder();
  return d.decode(bytes) + d.end();
}
