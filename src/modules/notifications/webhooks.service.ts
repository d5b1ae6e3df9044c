import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { plural } from '../../common/format';
import type { EventKind } from '../events/event';
import { KeyCrypto } from '../verification/key-crypto';
import { VerificationService } from '../verification/verification.service';
import type { AddWebhookDto } from './dto/add-webhook.dto';
import { framedKinds, kindsOf, maskedUrl } from './webhook-rules';
import { DeliveryRecord, WebhookRecord, WebhooksRepository } from './webhooks.repository';

/** An endpoint as pages and the API show it: never its full URL nor its secret. */
export interface WebhookView {
  id: string;
  name: string;
  /** Scheme and host only; null when this node's ENCRYPTION_KEY cannot open what is stored. */
  url: string | null;
  /** This node's encryption key opens the stored URL and secret (else they were sealed with another key). */
  decryptable: boolean;
  events: EventKind[];
  createdAt: string;
  createdBy: string;
  recentDeliveries: DeliveryView[];
}

export interface DeliveryView {
  id: string;
  /** The event's kind, or "test". */
  kind: string;
  eventId: number | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

export class WebhookNotFoundError extends NotFoundException {
  constructor() {
    super('There is no such webhook endpoint (it may have been deleted already).');
  }
}

export class IneligibleNodeError extends ConflictException {
  constructor() {
    super(
      "This node's ENCRYPTION_KEY is not the cluster's: an endpoint saved here could not be read by the primary. Add it on another node, or give this node the cluster's key.",
    );
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An administrator's webhook endpoints: add, list, delete, send a test event. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly crypto: KeyCrypto,
    private readonly verification: VerificationService,
  ) {}

  /**
   * Seals the URL and secret with this node's encryption key; refused (409) on a node whose key is not the
   * cluster's, whose seal the primary could never open.
   */
  async add(input: AddWebhookDto, actor: string): Promise<WebhookView> {
    if (!(await this.verification.isEligible())) throw new IneligibleNodeError();
    const shown = maskedUrl(input.url);
    const created = await this.repository.create(
      {
        name: input.name,
        urlSealed: this.crypto.sealSecret(input.url),
        secretSealed: this.crypto.sealSecret(input.secret),
        kinds: framedKinds(input.events),
        createdBy: actor,
      },
      {
        kind: 'webhook-added',
        actor,
        message: `${actor} added the webhook endpoint "${input.name}" (${shown}) for ${plural(input.events.length, 'kind')} of event`,
      },
    );
    return this.view(created, []);
  }

  /** The database's "now", to tell how long ago (or until when) a delivery was (or is) tried. */
  databaseNowMs(): Promise<number> {
    return this.repository.databaseNowMs();
  }

  async list(): Promise<WebhookView[]> {
    return (await this.repository.list()).map(({ webhook, deliveries }) => this.view(webhook, deliveries));
  }

  async remove(id: string, actor: string): Promise<void> {
    const removed = await this.repository.remove(id, (name) => ({
      kind: 'webhook-removed',
      actor,
      message: `${actor} deleted the webhook endpoint "${name}"`,
    }));
    if (!removed) throw new WebhookNotFoundError();
  }

  /** Queues a test event: the primary sends it within about a second. Its delivery id. */
  async sendTest(id: string): Promise<string> {
    const deliveryId = await this.repository.queueTest(id);
    if (deliveryId === null) throw new WebhookNotFoundError();
    return deliveryId;
  }

  private view(webhook: WebhookRecord, deliveries: DeliveryRecord[]): WebhookView {
    const url = this.crypto.openSecret(webhook.urlSealed);
    const secretOpens = this.crypto.openSecret(webhook.secretSealed) !== null;
    return {
      id: webhook.id,
      name: webhook.name,
      url: url === null ? null : maskedUrl(url),
      decryptable: url !== null && secretOpens,
      events: kindsOf(webhook.kinds),
      createdAt: new Date(webhook.createdAtMs).toISOString(),
      createdBy: webhook.createdBy,
      recentDeliveries: deliveries.map((delivery) => ({
        id: delivery.id,
        kind: delivery.kind,
        eventId: delivery.eventId,
        status: delivery.status,
        attempts: delivery.attempts,
        createdAt: new Date(delivery.createdAtMs).toISOString(),
        lastAttemptAt: iso(delivery.lastAttemptAtMs),
        lastStatusCode: delivery.lastStatusCode,
        lastError: delivery.lastError,
        nextAttemptAt: iso(delivery.nextAttemptAtMs),
        deliveredAt: iso(delivery.deliveredAtMs),
      })),
    };
  }
}
