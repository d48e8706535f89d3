// What JSON.parse does not tell about a line: a key given twice in one
// object (JSON.parse keeps the last one silently), and how a big integer was
// written (JSON.parse rounds 9007199254740993 to 9007199254740992, so an
// error message built from the parsed value would quote a number that is not
// in the input). One pass over the text, skipping the inside of strings with
// indexOf; no recursion, so deep nesting costs a stack array, not the call
// stack.

export interface JsonTextFacts {
  /** The first key found twice in one object, as a dotted path ("tmem.dedup"), or null. */
  duplicate: string | null;
  /**
   * Integer literals (digits only, no fraction or exponent) beyond 2^53 − 1
   * in magnitude, as written, keyed by the number JSON.parse made of them;
   * null when there are none.
   */
  bigIntegers: Map<number, Set<string>> | null;
}

interface Frame {
  /** Keys seen so far; null for an array. */
  keys: Set<string> | null;
  /** The current key (object) or element index (array), for the path. */
  at: string | number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The index of the quote closing the string opened at `open`. */
function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return text.length; // not reached for valid JSON
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    from = q + 1;
  }
}

function pathOf(stack: Frame[], key: string): string {
  return [...stack.slice(0, -1).map((f) => String(f.at)), key].join('.');
}

/** Scans a text that JSON.parse accepted. */
export function scanJsonText(text: string): JsonTextFacts {
  const stack: Frame[] = [];
  let bigIntegers: Map<number, Set<string>> | null = null;
  let expectKey = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = stringEnd(text, i);
      if (expectKey) {
        const top = stack[stack.length - 1];
        const written = text.slice(i + 1, close);
        const key = written.includes('\\') ? (JSON.parse(text.slice(i, close + 1)) as string) : written;
        if (top.keys!.has(key)) return { duplicate: pathOf(stack, key), bigIntegers };
        top.keys!.add(key);
        top.at = key;
        expectKey = false;
      }
      i = close + 1;
    } else if (c === 0x7b /* { */) {
      stack.push({ keys: new Set(), at: '' });
      expectKey = true;
      i++;
    } else if (c === 0x5b /* [ */) {
      stack.push({ keys: null, at: 0 });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
      i++;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top.keys !== null) expectKey = true;
      else top.at = (top.at as number) + 1;
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) break;
      }
      // 2^53 has 16 digits: shorter literals are exact.
      if (j - i >= 16) {
        const literal = text.slice(i, j);
        if (/^-?\d+$/.test(literal)) {
          const value = Number(literal);
          if (!Number.isSafeInteger(value)) {
            bigIntegers ??= new Map();
            const seen = bigIntegers.get(value);
            if (seen === undefined) bigIntegers.set(value, new Set([literal]));
            else seen.add(literal);
          }
        }
      }
      i = j;
    } else {
      i++; // white space, ':', true, false, null
    }
  }
  return { duplicate: null, bigIntegers };
}
