import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { NodeKeys } from '../environment/node-keys';

/** Two tokens per component: room for a few thousand servers. */
const VERIFIED_TOKENS_KEPT = 10_000;
const PLAINTEXT = Buffer.from('cluster-overview key verification v1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SECRET_PREFIX = 'v1.';

/** Derives a purpose-bound 256-bit key, so one configured key never serves two purposes directly. */
function derive(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `cluster-overview/${purpose}`, 32));
}

function seal(key: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const sealed = Buffer.concat([nonce, cipher.update(PLAINTEXT), cipher.final(), cipher.getAuthTag()]);
  return sealed.toString('base64url');
}

function opens(key: Buffer, token: string | null): boolean {
  if (!token) return false;
  const sealed = Buffer.from(token, 'base64url');
  if (sealed.length !== NONCE_BYTES + PLAINTEXT.length + TAG_BYTES) return false;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return plain.equals(PLAINTEXT);
  } catch {
    return false;
  }
}

/**
 * Everything this node does with its keys: the verification tokens stored beside each component
 * (AES-256-GCM over a known plaintext, random nonce), and the secrets that sign browser sessions and CSRF
 * tokens. Keys stay in this class; what leaves it is a token or a derived secret.
 */
@Injectable()
export class KeyCrypto {
  private readonly encryptionTokenKey: Buffer;
  private readonly machineTokenKey: Buffer;
  private readonly storedSecretKey: Buffer;
  readonly sessionSigningSecret: string;
  readonly csrfSecret: string;
  private readonly encryptionResults = new LRUCache<string, boolean>({ max: VERIFIED_TOKENS_KEPT });
  private readonly machineResults = new LRUCache<string, boolean>({ max: VERIFIED_TOKENS_KEPT });

  constructor(keys: NodeKeys) {
    this.encryptionTokenKey = derive(keys.encryptionKey, 'encryption-token');
    this.machineTokenKey = derive(keys.machineKey, 'machine-token');
    this.storedSecretKey = derive(keys.encryptionKey, 'stored-secret');
    this.sessionSigningSecret = derive(keys.machineKey, 'session-cookie').toString('hex');
    this.csrfSecret = derive(keys.machineKey, 'csrf').toString('hex');
  }

  makeEncryptionToken(): string {
    return seal(this.encryptionTokenKey);
  }

  makeMachineToken(): string {
    return seal(this.machineTokenKey);
  }

  /**
   * Seals a secret the cluster stores (a webhook's URL and signing secret) with a key derived from the
   * encryption key: AES-256-GCM, a random nonce, "v1." + base64url(nonce | ciphertext | tag). Every node with
   * the cluster's encryption key can open it; a node with another key cannot, and says so.
   */
  sealSecret(plain: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.storedSecretKey, nonce);
    const sealed = Buffer.concat([nonce, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SECRET_PREFIX}${sealed.toString('base64url')}`;
  }

  /** The secret, or null when this node's encryption key does not open it (or it is not a sealed secret). */
  openSecret(sealedText: string): string | null {
    if (!sealedText.startsWith(SECRET_PREFIX)) return null;
    const sealed = Buffer.from(sealedText.slice(SECRET_PREFIX.length), 'base64url');
    if (sealed.length < NONCE_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.storedSecretKey, sealed.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return null;
    }
  }

  opensEncryptionToken(token: string | null): boolean {
    return this.opensCached(this.encryptionResults, this.encryptionTokenKey, token);
  }

  opensMachineToken(token: string | null): boolean {
    return this.opensCached(this.machineResults, this.machineTokenKey, token);
  }

  /**
   * A token never changes while its component stays registered (a new registration makes a new token), and
   * the answer depends only on the token and this node's key: so each token is decrypted once, and a page or
   * a health check in the steady state decrypts nothing. Bounded, as tokens come and go.
   */
  private opensCached(results: LRUCache<string, boolean>, key: Buffer, token: string | null): boolean {
    if (!token) return false;
    const known = results.get(token);
    if (known !== undefined) return known;
    const answer = opens(key, token);
    results.set(token, answer);
    return answer;
  }
}
