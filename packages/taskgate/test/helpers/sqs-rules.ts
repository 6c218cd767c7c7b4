import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/**
 * What real SQS refuses in a message's attributes, written from SQS's documentation and apart from
 * taskgate's own code: fauxqs 1.9.2 checks none of it (it takes ESC, NUL, lone surrogates, empty
 * values and 12 attributes), so tests on it check the rule themselves. Returns the problems found.
 */
export function sqsAttributeProblems(attributes: Readonly<Record<string, MessageAttributeValue>> | undefined): string[] {
  const problems: string[] = [];
  const entries = Object.entries(attributes ?? {});
  if (entries.length > 10) problems.push(`${entries.length} attributes; SQS allows 10`);
  for (const [name, value] of entries) {
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || /^(aws|amazon)\./i.test(name) || /^\.|\.$|\.\./.test(name)) problems.push(`${name}: not a valid attribute name`);
    if (!value.DataType) problems.push(`${name}: no DataType`);
    if (value.BinaryValue !== undefined) {
      if (value.BinaryValue.length === 0) problems.push(`${name}: empty binary value`);
      continue;
    }
    if (!value.StringValue) {
      problems.push(`${name}: empty string value`);
      continue;
    }
    for (const char of value.StringValue) {
      const code = char.codePointAt(0)!;
      if (!xmlCharacter(code)) {
        problems.push(`${name}: U+${code.toString(16).toUpperCase().padStart(4, '0')} is not a character SQS accepts`);
        break;
      }
    }
  }
  return problems;
}

/** XML 1.0's Char production, which SQS applies to bodies and attribute values. */
function xmlCharacter(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}
