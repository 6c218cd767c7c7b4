import { describe, expect, it } from 'vitest';
import { printable } from '../src/core/printable';

describe('printable', () => {
  it('shows every character a terminal would act on as its escape', () => {
    expect(printable('x\u001b[31mRED\u001b[2J')).toBe('x\\u001b[31mRED\\u001b[2J');
    expect(printable('a\u0000b\u0007c\nd\re\tf\u007f')).toBe('a\\u0000b\\u0007c\\u000ad\\u000de\\u0009f\\u007f');
    // C1 controls (U+009B is a one-byte CSI), line separators, bidi overrides and isolates.
    expect(printable('\u009b2J\u2028\u202eevil\u2066')).toBe('\\u009b2J\\u2028\\u202eevil\\u2066');
  });

  it('keeps ordinary text, other scripts and emoji as they are', () => {
    const text = 'Grüße, 日本語, naïve café 🚀 "quoted" \\ back-slash';
    expect(printable(text)).toBe(text);
  });
});
