/**
 * Stack output keys, shared by the constructs that write them and the CLI that reads them
 * (`taskgate --stack NAME`). Keys are alphanumeric, as CloudFormation requires.
 */
export const OUTPUT_KEYS = {
  ledgerTable: 'TaskgateLedgerTable',
  dashboard: 'TaskgateDashboard',
} as const;

export type GateOutput = 'QueueUrl' | 'DeadLetterQueueUrl';

/** `TaskgateGateEmailApiQueueUrl` for gate `email-api`. */
export function gateOutputKey(gate: string, output: GateOutput): string {
  const pascal = gate
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
  return `TaskgateGate${pascal}${output}`;
}
