/** Approval gates: pure evaluation from facts to a verdict, and its renderings. */
export type {
  ApprovalFact,
  CheckFact,
  CheckState,
  GateFacts,
  LockFact,
  PromotionFact,
  RejectionFact,
} from './facts.ts';
export { GATE_NAMES, type GateName, type GateOutcome, type Verdict } from './verdict.ts';
export { evaluateGates } from './evaluate.ts';
export { checklistMarkdown, checklistText, STATUS_REPORT_LIMIT } from './checklist.ts';
export { decisionRecord, type DecisionRecord } from './decision-record.ts';
export { OPENING_HORIZON_DAYS } from './schedule.ts';
