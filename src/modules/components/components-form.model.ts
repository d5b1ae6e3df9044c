import { labelled } from '../../common/form-validation';

/** How the form names each field; the API's messages name the JSON field instead ("os must not be empty"). */
const FIELD_LABELS: Record<string, string> = {
  serverName: 'The server name',
  os: 'The operating system',
  ipAddress: 'The IP address',
  type: 'The component type',
  version: 'The version',
};

/** The add-a-component form, empty or as entered, with a message beside each field that needs one. */
export function addFormModel(values: Record<string, string>, errors: Record<string, string>) {
  return {
    title: 'Add a component by hand',
    values,
    errors: labelled(errors, FIELD_LABELS),
    hasErrors: Object.keys(errors).length > 0,
    typeChecked: { web: values.type === 'web', service: values.type === 'service' },
  };
}

/** What the person typed, as text, to show the form again (never re-interpreted). */
export function enteredValues(body: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return values;
  for (const field of ['serverName', 'os', 'ipAddress', 'type', 'version']) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === 'string') values[field] = value.slice(0, 1000);
  }
  return values;
}

/** A confirmation page (removal, drain): what the action means, and a message when it was not confirmed. */
export function confirmationPageModel<T extends object>(title: string, preview: T, error?: string) {
  return { title, ...preview, ...(error ? { error } : {}) };
}
