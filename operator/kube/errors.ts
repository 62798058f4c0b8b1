/**
 * The three ways a reconcile can fail, and what the controller does about each:
 *
 * - `retry`: something that may heal by itself (a timeout, a 500, a 403 while RBAC is being
 *   fixed). The key comes back after a per-key backoff; the error is logged and counted.
 * - `terminal`: retrying cannot help until someone changes the object (an invalid spec, a child
 *   the API server rejects as invalid). The reason goes into status and the key is not retried;
 *   the next change to the object, or a resync, runs it again.
 * - `moved-on`: the world changed under us (409 conflict, 404 not found, 410 gone). The cache is
 *   behind; requeue quietly and let the next run see the new state.
 */
export type ErrorClass = 'retry' | 'terminal' | 'moved-on';

/** A failure response from the API server, with its `Status` reason when it sent one. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';

  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason?: string,
    readonly verb?: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** A failure that retrying cannot fix; `reason` is the constant condition reason to report. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';

  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** HTTP status of an error from the API server, the watch, or the network layer below. */
export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.statusCode;
  if (typeof err === 'object' && err !== null) {
    const { statusCode, code } = err as { statusCode?: unknown; code?: unknown };
    if (typeof statusCode === 'number') return statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusCodeOf(err) === 404;
}

export function isConflict(err: unknown): boolean {
  return statusCodeOf(err) === 409;
}

export function classifyError(err: unknown): ErrorClass {
  if (err instanceof TerminalError) return 'terminal';

  const status = statusCodeOf(err);
  if (status === 404 || status === 409 || status === 410) return 'moved-on';
  return 'retry';
}
