// The known name a misspelt one most likely meant, for "did you mean …?" in
// messages about scenario keys and --set / --grid paths.

/**
 * The known key a misspelt one most likely meant: at most two edits away
 * (one for keys of up to five characters; a swap of two neighbours is one
 * edit), the nearest; of equally near ones the first in `known`'s order;
 * null when none is that near. Case is not an edit.
 */
export function nearestKey(key: string, known: readonly string[]): string | null {
  const limit = key.length <= 5 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const k of known) {
    // Lengths further apart than the limit cannot be within it; nor can long keys (bounded work).
    if (Math.abs(k.length - key.length) > limit || key.length > 64) continue;
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits (insert, delete, substitute, swap two neighbours) from a to b: optimal string alignment. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Uint16Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1];
}

