/**
 * Yields the items of `source`, asking for the next one while the caller works on the current: a
 * pull sync then fetches page N+1 from the vendor while page N is being written. One item ahead
 * at most, so memory stays bounded by two pages.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  // If the caller stops early, the request in flight may still fail: that must not go unhandled.
  next.catch(() => {});
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      next.catch(() => {});
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
