import { jsonPointer, type SchemaViolation } from './errors.js';

/**
 * Strings PostgreSQL cannot store (its text and jsonb refuse U+0000, and a lone surrogate has no
 * UTF-8 form), and no legitimate field needs: OSR-SCHEMA violations wherever they occur in a
 * request body, also in properties the schema ignores (the body is stored as sent).
 */

// Enough to show the caller what to fix; a body full of them gets no longer answer than that.
const MAX_REPORTED = 100;

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'String must not contain U+0000.';
  return text.isWellFormed() ? undefined : 'String must be well-formed Unicode (no lone surrogates).';
}

interface Visit {
  value: unknown;
  key: string | number | undefined;
  parent: Visit | undefined;
  /** Set when the property name itself cannot be stored (its value is then not looked into). */
  keyProblem?: string;
}

const pathOf = (visit: Visit): (string | number)[] => {
  const path: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
};

/**
 * Every unstorable string (values and property names) of a parsed JSON document, in document
 * order, each with its JSON pointer. Iterative (any nesting depth is fine), with parent links
 * instead of path copies, so the cost stays linear in the size of the body; a path is built only
 * for a finding.
 */
export function findUnstorableStrings(root: unknown): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  const stack: Visit[] = [{ value: root, key: undefined, parent: undefined }];
  while (stack.length > 0 && violations.length < MAX_REPORTED) {
    const visit = stack.pop() as Visit;
    const { value, keyProblem } = visit;
    if (keyProblem) {
      violations.push({ message: keyProblem, path: jsonPointer(pathOf(visit)) });
    } else if (typeof value === 'string') {
      const message = unstorableReason(value);
      if (message) violations.push({ message, path: jsonPointer(pathOf(visit)) });
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--)
        stack.push({ value: value[index], key: index, parent: visit });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let index = entries.length - 1; index >= 0; index--) {
        const [key, item] = entries[index] as [string, unknown];
        const keyProblem = unstorableReason(key);
        stack.push(keyProblem ? { value: item, key, parent: visit, keyProblem } : { value: item, key, parent: visit });
      }
    }
  }
  return violations;
}
