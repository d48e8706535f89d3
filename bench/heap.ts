// Heap measurement for the benchmarks: collect twice (needs --expose-gc), then
// read heap + ArrayBuffer bytes.

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) {
    g();
    g();
  }
}

export function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
