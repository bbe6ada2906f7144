// The built-in detector catalog, in priority order: where matches overlap, the earliest match
// labels the masked span, and on a tie the detector listed first (specific formats before
// context rules, secrets before personal data).
import { aiDetectors } from './detectors/ai.js';
import { azureDetectors } from './detectors/azure.js';
import { cloudDetectors } from './detectors/cloud.js';
import { credentialDetectors } from './detectors/credentials.js';
import { keyDetectors } from './detectors/keys.js';
import { messagingDetectors } from './detectors/messaging.js';
import { paymentDetectors } from './detectors/payments.js';
import { personalDetectors } from './detectors/personal.js';
import { piiDetectors } from './detectors/pii.js';
import { serviceDetectors } from './detectors/services.js';
import { sourceControlDetectors } from './detectors/source-control.js';
import { vendorKeyDetectors } from './detectors/vendor-keys.js';
import { vendorDetectors } from './detectors/vendors.js';
import type { DetectorDefinition } from './lib/definition.js';

/** Every built-in detector, in priority order. */
export const DETECTORS: readonly DetectorDefinition[] = [
  ...keyDetectors,
  ...azureDetectors,
  ...cloudDetectors,
  ...sourceControlDetectors,
  ...messagingDetectors,
  ...paymentDetectors,
  ...aiDetectors,
  ...serviceDetectors,
  ...vendorDetectors,
  ...vendorKeyDetectors,
  ...credentialDetectors,
  ...piiDetectors,
  ...personalDetectors,
];
