import { ValidationError } from '../../../lib/errors.js';

/** An OTLP/HTTP metrics body that cannot be read (answer 400; the sender must not retry). */
export class OtlpDecodeError extends ValidationError {
  constructor(code: `KSK_OTLP_${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, [], options);
  }
}
