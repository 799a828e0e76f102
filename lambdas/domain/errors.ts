/**
 * Domain errors. Adapters translate technology errors into these; the API maps each to the
 * documented status code and error code (see ../../shared/API.md, "error model").
 */
export interface ErrorDetail {
  path?: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that is well-formed but breaks a rule (400). */
export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
}

/** The addressed client, schedule, run or job does not exist, or the caller may not see it (404). */
export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

/** The request conflicts with the current state: a name taken, a run still running (409). */
export class ConflictError extends DomainError {
  readonly code: string;
  constructor(message: string, code = 'CONFLICT', details: ErrorDetail[] = []) {
    super(message, details);
    this.code = code;
  }
}

/** An optimistic-concurrency check failed: the caller's version is not the stored one (412). */
export class StaleVersionError extends DomainError {
  readonly code = 'STALE_VERSION';
}

/** A change to something that exists, sent without the version it is based on (428). */
export class PreconditionRequiredError extends DomainError {
  readonly code = 'PRECONDITION_REQUIRED';
}

/** A step of an execution that is no longer the run's current one: it must stop, not write. */
export class SupersededExecutionError extends DomainError {
  readonly code = 'SUPERSEDED_EXECUTION';
}

/** A store was throttled or briefly unavailable: the caller should retry (the ASL's Retry names it). */
export class TransientStoreError extends DomainError {
  readonly code = 'TRANSIENT_STORE_ERROR';
}

/** A step of a run that was reset: the execution must stop. */
export class RunResetError extends DomainError {
  readonly code = 'RUN_RESET';
}
