/**
 * Every error the HTTP API answers with, one stable code each. Clients and alerts key on the
 * code; the message is for people and may change.
 */
export const API_ERRORS = {
  bad_request: 400,
  empty_body: 400,
  invalid_json: 400,
  duplicate_key: 400,
  forbidden_key: 400,
  unsafe_number: 400,
  invalid_field: 400,
  missing_field: 400,
  signature_invalid: 401,
  metrics_unauthorized: 401,
  not_found: 404,
  request_timeout: 408,
  body_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  wal_unavailable: 503,
  dedup_unavailable: 503,
  not_ready: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string };
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
    readonly retryAfterSeconds?: number,
    /** What went wrong inside, for the log only; never sent to the client. */
    readonly internalCause?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERRORS[code];
  }

  toBody(): ApiErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.field && { field: this.field }) },
    };
  }
}
