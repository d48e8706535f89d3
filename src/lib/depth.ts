// Nesting depth of plain JS values, walked without recursion (a hostile
// value may nest far deeper than the call stack allows).

/** How deeply `value` (plain JS values: objects, arrays, scalars, as from YAML or JSON) nests, counting up to `limit` (past it, any number above). */
export function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  // Bounded: the walk stops past `limit`, and each value of the tree is pushed once.
  while (stack.length > 0) {
    const { value: here, depth } = stack.pop()!;
    if (here === null || typeof here !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) return deepest;
    for (const child of Object.values(here)) stack.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}
