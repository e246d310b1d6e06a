// The loop every background job runs: a step, then a pause unless the step found work, until stopped.

export interface PollLoopOptions {
  /** One unit of work; resolves true when it did something and the next step should follow at once. */
  step(): Promise<boolean>;
  /** Pause after a step that found nothing to do. */
  idleMs: number;
  /** Pause after a step that threw, so a failing dependency is not hammered. */
  errorMs: number;
  onError(error: unknown): void;
}

/** Starts the loop; `stop` wakes it from a pause and resolves once the current step has finished. */
export function pollLoop(options: PollLoopOptions): { stop(): Promise<void> } {
  let stopping = false;
  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopping) {
      let delay: number;
      try {
        delay = (await options.step()) ? 0 : options.idleMs;
      } catch (error) {
        options.onError(error);
        delay = options.errorMs;
      }
      if (!stopping && delay > 0) await pause(delay);
    }
  })();
  return {
    async stop() {
      stopping = true;
      (wake as (() => void) | null)?.();
      await loop;
    },
  };
}
