/**
 * One typed application error. `code` is stable (clients switch on it), `messageFr` is shown to the user,
 * `messageEn` goes to the log. HTTP statuses come from one table so routes never pick them by hand.
 */
export const ERROR_STATUS = {
  VALIDATION: 400,
  BAD_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  IDEMPOTENCY_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  EXTERNAL_FAILURE: 502,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly messageFr: string;
  readonly details: unknown;

  constructor(code: ErrorCode, messageFr: string, messageEn: string, details?: unknown) {
    super(messageEn);
    this.name = 'AppError';
    this.code = code;
    this.messageFr = messageFr;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string, whatFr: string): AppError =>
  new AppError('NOT_FOUND', `${whatFr} introuvable.`, `${what} not found`);

export const forbidden = (messageFr = 'Vous n’avez pas le droit de faire cette action.', messageEn = 'forbidden'): AppError =>
  new AppError('FORBIDDEN', messageFr, messageEn);

export const badInput = (messageFr: string, messageEn: string, details?: unknown): AppError =>
  new AppError('BAD_INPUT', messageFr, messageEn, details);
