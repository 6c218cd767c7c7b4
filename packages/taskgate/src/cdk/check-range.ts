import { Token } from 'aws-cdk-lib';
import { ConfigurationError } from '../core/errors';

/**
 * Fails the synth when a whole-number prop lies outside `[min, max]`, naming the construct
 * (`subject`, e.g. `gate api`), the prop and the value. A value known only at deployment (a
 * `CfnParameter`, an import: an unresolved token, which reads as a number such as -1.888e+289) is
 * not checked, as aws-cdk-lib's own constructs do; CloudFormation or the service checks it then.
 */
export function checkRange(subject: string, field: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${subject}: ${field} must be between ${min} and ${max} (given ${value})`);
  }
}
