/**
 * Polling with a bounded deadline. Tests never sleep a fixed time and then assert: they wait for
 * the condition itself, and a timeout says what was awaited and what was last seen.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? `; last error: ${(lastError as Error).message}` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms (${attempt + 1} checks) waiting for ${what}${cause}`,
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}

/** Resolves after `ms`; for letting time pass during which something must NOT happen. */
export function elapse(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
