/** A push refused before anything of it is parsed; `status` and message go to the sender as they are. */
export class PushRequestError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string
  ) {
    super(message);
  }
}

/** The sender left (or its connection broke) before its whole body arrived: there is no one to answer. */
export class PushAbortedError extends Error {
  constructor() {
    super('the sender left before its whole body arrived');
  }
}
