/**
 * A configuration value that must never be printed: database passwords, encryption keys,
 * webhook URLs, SMTP and cloud credentials. Every way an object gets turned into text
 * (String(), template literals, JSON.stringify, util.inspect / console) yields a mask.
 */
import { inspect } from 'node:util';

const MASK = '[redacted]';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The real value, for the one call that needs it (a driver, a cipher, an HTTP client). */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return `Secret(${MASK})`;
  }
}
