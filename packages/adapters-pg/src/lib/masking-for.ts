import type { CompiledPolicy } from '@portcullis/core';
import { NO_MASKING, type Masking } from './masking.js';
export function createMaskingFor(
  _p: CompiledPolicy,
  _h: string | Uint8Array | undefined,
): (profile: string | undefined) => Masking {
  return () => NO_MASKING;
}
