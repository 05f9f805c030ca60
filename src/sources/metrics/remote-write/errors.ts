import { ValidationError } from '../../../lib/errors.js';

/**
 * A remote-write body that cannot be read at all (bad snappy block, truncated or malformed
 * protobuf, wrong content type or encoding, too large). The sender must not retry it, so the
 * HTTP edge answers 400 (the spec: "4xx when the request is invalid, will never be able to
 * succeed"). Series-level problems are not errors: they come back as rejections.
 */
export class RemoteWriteDecodeError extends ValidationError {
  constructor(code: `KSK_RW_${string}`, message: string, options?: { cause?: unknown }) {
    super(code, message, [], options);
  }
}
