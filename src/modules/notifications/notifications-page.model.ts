import { labelled } from '../../common/form-validation';
import { relativeTime } from '../../common/format';
import { asText, field, textField } from '../../common/html-form';
import type { EventKind } from '../events/event';
import { eventLabel } from '../events/events-page.model';
import { DEFAULT_WEBHOOK_KINDS, WEBHOOK_EVENT_KINDS } from './webhook-rules';
import type { DeliveryView, WebhookView } from './webhooks.service';

/** How the form names each field; the API's messages name the JSON field instead ("url must …"). */
const FIELD_LABELS: Record<string, string> = {
  name: 'The name',
  url: 'The URL',
  secret: 'The secret',
  events: 'The list of events',
};

/** What the person typed (never the secret, which is not shown again), and which boxes were ticked. */
export interface WebhookFormValues {
  name: string;
  url: string;
  events: string[];
}

export const EMPTY_FORM: WebhookFormValues = { name: '', url: '', events: [...DEFAULT_WEBHOOK_KINDS] };

/** The form body as text values; `events` is one string for one ticked box, a list for several. */
export function enteredWebhook(body: unknown): WebhookFormValues & { secret: unknown } {
  // As typed, whole: the validation judges what was sent (the body limit bounds it), never a shortened copy.
  const ticked = field(body, 'events');
  const events = ticked === undefined ? [] : [ticked].flat().map(asText);
  return {
    name: textField(body, 'name'),
    url: textField(body, 'url'),
    events,
    secret: field(body, 'secret'),
  };
}

export function notificationsPageModel(
  webhooks: WebhookView[],
  nowMs: number,
  form: { values: WebhookFormValues; errors: Record<string, string>; formError?: string },
) {
  const errors = labelled(form.errors, FIELD_LABELS);
  return {
    title: 'Notifications',
    webhooks: webhooks.map((webhook) => ({
      ...webhook,
      events: webhook.events.map(eventLabel).join(', '),
      created: relativeTime(Date.parse(webhook.createdAt), nowMs),
      deliveries: webhook.recentDeliveries.map((delivery) => deliveryRow(delivery, nowMs)),
    })),
    undecryptable: webhooks.some((webhook) => !webhook.decryptable),
    form: {
      values: form.values,
      errors,
      hasErrors: Object.keys(errors).length > 0,
      formError: form.formError ?? null,
      kinds: WEBHOOK_EVENT_KINDS.map((kind) => ({
        value: kind,
        label: eventLabel(kind),
        checked: form.values.events.includes(kind),
      })),
    },
  };
}

function deliveryRow(delivery: DeliveryView, nowMs: number) {
  const answer = delivery.lastStatusCode !== null ? `HTTP ${delivery.lastStatusCode}` : null;
  const status =
    delivery.status === 'delivered'
      ? { level: 'ok', text: `Delivered${answer ? ` (${answer})` : ''}` }
      : delivery.status === 'failed'
        ? { level: 'error', text: `Gave up after ${delivery.attempts} attempts` }
        : delivery.attempts === 0
          ? { level: 'info', text: 'Queued' }
          : { level: 'warning', text: retryText(delivery.nextAttemptAt, nowMs) };
  return {
    event: delivery.kind === 'test' ? 'Test event' : eventLabel(delivery.kind as EventKind),
    queued: relativeTime(Date.parse(delivery.createdAt), nowMs),
    queuedExact: delivery.createdAt,
    status,
    attempts: delivery.attempts,
    lastError: delivery.status === 'delivered' ? null : delivery.lastError,
  };
}

/** "Retrying in 30 seconds"; "Retrying now" once the time has come (the primary picks it up within a second). */
function retryText(nextAttemptAt: string | null, nowMs: number): string {
  const atMs = nextAttemptAt === null ? nowMs : Date.parse(nextAttemptAt);
  return atMs - nowMs < 5_000 ? 'Retrying now' : `Retrying ${relativeTime(atMs, nowMs)}`;
}
