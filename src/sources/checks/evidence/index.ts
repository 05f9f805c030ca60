/** Failure evidence: ping and tracepath output captured when a check turns bad. */
export { captureEvidence, type CapturedEvidence, type EvidenceOptions } from './capture-evidence.js';
export { isHostArg, HOST_ARG_RE } from './host-arg.js';
