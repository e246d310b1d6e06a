/**
 * Yields the items of `source`, asking for up to `depth` more while the caller works on the current:
 * a pull sync then fetches the next pages from the vendor while a batch is being written. Memory
 * stays bounded by `depth` + 1 pages. `source` must accept queued next() calls, as async
 * generators do (they run one step per call, in order).
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth = 1): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  const request = () => {
    const next = iterator.next();
    // If the caller stops early, a request in flight may still fail: that must not go unhandled.
    next.catch(() => {});
    queue.push(next);
  };
  for (let i = 0; i < depth; i++) request();
  try {
    for (;;) {
      const result = await queue.shift()!;
      if (result.done) return;
      request();
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
