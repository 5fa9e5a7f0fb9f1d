import type { ParseRejection, RejectReason } from '../types';

/** Thrown while reading one line's fields; caught at the parser boundary and turned into a rejection. */
export class FieldError extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly field: string,
    message: string
  ) {
    super(message);
  }

  toRejection(): ParseRejection {
    return { reason: this.reason, field: this.field, message: this.message };
  }
}
