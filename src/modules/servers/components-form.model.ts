/** How the form names each field; the API's messages name the JSON field instead ("os must not be empty"). */
const FIELD_LABELS: Record<string, string> = {
  serverName: 'The server name',
  os: 'The operating system',
  ipAddress: 'The IP address',
  type: 'The component type',
  version: 'The version',
};

/** "os must not be empty" → "The operating system must not be empty", for a person reading the form. */
export function labelled(errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(errors).map(([field, message]) => {
      const label = FIELD_LABELS[field];
      return [
        field,
        label && message.startsWith(`${field} `) ? `${label}${message.slice(field.length)}` : message,
      ];
    }),
  );
}

/** The add-a-component form, empty or as entered, with a message beside each field that needs one. */
export function addFormModel(values: Record<string, string>, errors: Record<string, string>) {
  return {
    title: 'Add a component by hand',
    values,
    errors: labelled(errors),
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

/** The removal confirmation: what removing the component means, and a message when it was not confirmed. */
export function removalPageModel<T extends object>(preview: T, error?: string) {
  return { title: 'Remove a component', ...preview, ...(error ? { error } : {}) };
}

/** The drain confirmation: what draining means, the second confirmation for the last eligible component. */
export function drainPageModel<T extends object>(preview: T, error?: string) {
  return { title: 'Drain a service component', ...preview, ...(error ? { error } : {}) };
}
