// Splits a replay input into lines with bounded memory. node:readline keeps
// a whole line in one string, so a line of 512 MB (or /dev/zero, which has
// no line break at all) ends in `RangeError: Invalid string length`. Here
// the stream is read in chunks and split by hand: a line longer than the
// limit is reported once, as soon as it passes the limit, and the rest of it
// is read and dropped up to the next line break.
//
// Line breaks are those of readline: "\n", "\r\n" and a lone "\r". A UTF-8
// byte order mark at the very start of the input is skipped.

/** The longest line accepted, in bytes (a tmem_put with 4 KiB of base64 data is about 5.5 KB). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** `binary`: the bytes are not UTF-8 (the text then holds U+FFFD in their place; a valid U+FFFD is text). */
export type InputLine = { tooLong: false; text: string; binary: boolean } | { tooLong: true };

// ignoreBOM: a mark past the very start stays in the line (the start's is skipped by hand, below).
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const LF = 0x0a;
const CR = 0x0d;
const TOO_LONG: InputLine = { tooLong: true };

/** Describes a byte limit for a message: "16 MiB (16777216 bytes)" or "100 bytes". */
export function describeLimit(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB (${bytes} bytes)` : `${bytes} bytes`;
}

/**
 * The lines of a byte (or string) stream, in order. A line longer than
 * `maxBytes` bytes (line break excluded) yields one `{tooLong: true}` in its
 * place and holds at most `maxBytes` bytes in memory while it is read.
 */
export async function* readLines(input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<InputLine> {
  let parts: Buffer[] = [];
  let size = 0;
  /** The current line passed the limit: drop its bytes until its end. */
  let dropping = false;
  /** The previous chunk ended with "\r": a "\n" opening this one belongs to it. */
  let afterCR = false;
  /** Bytes of a byte order mark matched at the very start (0 to 2), or -1 once the start is past. */
  let bomMatched = 0;

  /** Adds bytes to the current line; true when they take it past the limit. */
  const take = (bytes: Buffer): boolean => {
    if (dropping || bytes.length === 0) return false;
    if (size + bytes.length > maxBytes) {
      dropping = true;
      parts = [];
      size = 0;
      return true;
    }
    parts.push(bytes);
    size += bytes.length;
    return false;
  };
  /** Ends the current line: it, or null if it was dropped. */
  const end = (): InputLine | null => {
    const wasDropped = dropping;
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    dropping = false;
    if (wasDropped) return null;
    try {
      return { tooLong: false, text: UTF8.decode(bytes), binary: false };
    } catch {
      return { tooLong: false, text: bytes.toString('utf8'), binary: true };
    }
  };

  for await (const raw of input) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (chunk.length === 0) continue;
    if (bomMatched >= 0) {
      // A byte order mark at the very start is skipped before any line is counted (it may arrive split).
      let i = 0;
      while (i < chunk.length && bomMatched < BOM.length && chunk[i] === BOM[bomMatched]) {
        i++;
        bomMatched++;
      }
      if (bomMatched === BOM.length) {
        chunk = chunk.subarray(i);
        bomMatched = -1;
      } else if (i === chunk.length) {
        continue;
      } else {
        // Not a mark after all: the bytes matched so far are the line's.
        chunk = Buffer.concat([BOM.subarray(0, bomMatched), chunk.subarray(i)]);
        bomMatched = -1;
      }
      if (chunk.length === 0) continue;
    }
    let start = 0;
    if (afterCR) {
      afterCR = false;
      if (chunk[0] === LF) start = 1;
    }
    // Next "\n" and "\r" at or after `start` (chunk.length: none left), each searched once per find.
    let nextLF = -1;
    let nextCR = -1;
    while (start < chunk.length) {
      if (nextLF < start) {
        const i = chunk.indexOf(LF, start);
        nextLF = i < 0 ? chunk.length : i;
      }
      if (nextCR < start) {
        const i = chunk.indexOf(CR, start);
        nextCR = i < 0 ? chunk.length : i;
      }
      const stop = Math.min(nextLF, nextCR);
      if (take(chunk.subarray(start, stop))) yield TOO_LONG;
      if (stop === chunk.length) break;
      const line = end();
      if (line !== null) yield line;
      start = stop + 1;
      if (chunk[stop] === CR) {
        if (start === chunk.length) afterCR = true;
        else if (chunk[start] === LF) start++;
      }
    }
  }
  if (bomMatched > 0) take(BOM.subarray(0, bomMatched));
  if (size > 0) {
    const line = end();
    if (line !== null) yield line;
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
