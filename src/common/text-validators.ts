import { registerDecorator, ValidationOptions } from 'class-validator';
import semver from 'semver';
import { controlCharacterProblem, nameProblem } from './text-rules';

/** Refuses control characters (and unpaired surrogates) in a text field; tab only where `allowTab`. */
export function IsPlainText(field: string, options: { allowTab?: boolean } & ValidationOptions = {}) {
  return textRule('isPlainText', options, (value) => {
    const problem = controlCharacterProblem(value, options.allowTab ?? false);
    return problem && `${field} ${problem}`;
  });
}

/** A name shown to people: see text-rules.ts for what deceives. Normalize it first (normalizeName). */
export function IsHonestName(field: string, options: ValidationOptions = {}) {
  return textRule('isHonestName', options, (value) => {
    const problem = nameProblem(value);
    return problem && `${field} ${problem}`;
  });
}

/** A semantic version such as 1.2.0 or 5.3.16-beta.1. */
export function IsSemanticVersion(field: string, options: ValidationOptions = {}) {
  return textRule('isSemanticVersion', options, (value) =>
    semver.valid(value) === null ? `${field} must be a semantic version such as 1.2.0` : null,
  );
}

/** A rule on strings only (other types are left to IsString), whose message depends on what was wrong. */
function textRule(name: string, options: ValidationOptions, problemOf: (value: string) => string | null) {
  return (object: object, propertyName: string) => {
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      // The message is worked out again from the value: nothing is shared between validations.
      options: {
        ...options,
        message: (args) => problemOf(String(args.value)) ?? `${propertyName} is not valid`,
      },
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || problemOf(value) === null,
      },
    });
  };
}
