import { OtlpDecodeError } from '../src/parse/otlp/objectForm';

/**
 * The message of the OtlpDecodeError `fn` throws: only a decode error becomes a 400 naming the place in the body;
 * anything else (rethrown here) would be a 500.
 */
export function otlpRefusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof OtlpDecodeError) return e.message;
    throw e;
  }
  throw new Error('expected an OtlpDecodeError');
}
