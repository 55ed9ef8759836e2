/**
 * Every error `spoor serve` answers with: a code → {status, message} catalogue (as fastify's
 * error codes), and the one error class handlers throw. http.ts turns it into JSON `{code, message}`.
 */

export const ERRORS = {
  SPOOR_UNAUTHENTICATED: { status: 401, message: 'credentials required (Authorization: Bearer TOKEN, Basic or ApiKey)' },
  SPOOR_BAD_CREDENTIALS: { status: 401, message: 'unknown or malformed credentials' },
  SPOOR_FORBIDDEN: { status: 403, message: 'the token lacks the scope this route needs' },
  SPOOR_NOT_FOUND: { status: 404, message: 'no such route' },
  SPOOR_NO_SUCH_ALERT: { status: 404, message: 'no alert with this id' },
  SPOOR_NO_SUCH_RULE: { status: 404, message: 'no loaded rule with this id' },
  SPOOR_METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed on this route' },
  SPOOR_BODY_TOO_LARGE: { status: 413, message: 'request body larger than the limit' },
  SPOOR_LINE_TOO_LARGE: { status: 413, message: 'a line of the body is longer than the limit' },
  SPOOR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type or encoding' },
  SPOOR_BAD_REQUEST: { status: 400, message: 'malformed request' },
  SPOOR_BAD_GZIP: { status: 400, message: 'body is not valid gzip' },
  SPOOR_TOO_MANY_REQUESTS: { status: 429, message: 'ingest queue full: retry later' },
  SPOOR_TIMEOUT: { status: 408, message: 'request body not received in time' },
  SPOOR_SHUTTING_DOWN: { status: 503, message: 'server is shutting down' },
  SPOOR_INTERNAL: { status: 500, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class ServeError extends Error {
  override readonly name = 'ServeError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
  ) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message);
    this.status = ERRORS[code].status;
  }
}

/** Options that cannot start a server (bad paths, ports, sizes). */
export class ServeConfigError extends Error {
  override readonly name = 'ServeConfigError';
}
