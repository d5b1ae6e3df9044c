import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { NodeKeys } from '../environment/node-keys';

const PLAINTEXT = Buffer.from('cluster-overview key verification v1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

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
  readonly sessionSigningSecret: string;
  readonly csrfSecret: string;

  constructor(keys: NodeKeys) {
    this.encryptionTokenKey = derive(keys.encryptionKey, 'encryption-token');
    this.machineTokenKey = derive(keys.machineKey, 'machine-token');
    this.sessionSigningSecret = derive(keys.machineKey, 'session-cookie').toString('hex');
    this.csrfSecret = derive(keys.machineKey, 'csrf').toString('hex');
  }

  makeEncryptionToken(): string {
    return seal(this.encryptionTokenKey);
  }

  makeMachineToken(): string {
    return seal(this.machineTokenKey);
  }

  opensEncryptionToken(token: string | null): boolean {
    return opens(this.encryptionTokenKey, token);
  }

  opensMachineToken(token: string | null): boolean {
    return opens(this.machineTokenKey, token);
  }
}
