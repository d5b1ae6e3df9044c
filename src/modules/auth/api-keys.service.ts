import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { errorSummary } from '../../common/error-summary';
import { ApiKeyListing, ApiKeysRepository, MAX_KEYS_PER_USER } from './api-keys.repository';
import { sha256Hex } from './digest';
import { atLeast, Role } from './roles';
import type { SignedInUser } from './session';
import { UserChangeRefused } from './users.service';

/** A key's last use is written at most this often (a write per API call would be waste). */
const TOUCH_EVERY_MS = 60_000;

/** Who an API call with a person's key acts as. */
export interface KeyHolder {
  keyId: string;
  keyName: string;
  username: string;
  /** The key's role, or its owner's when that is lower now. */
  role: Role;
}

/**
 * People's API keys (the account page): shown once when made, stored only as their SHA-256. A key acts as
 * its owner with the role it was made with, never above the owner's role at the time of the call: demoting
 * or removing the owner takes the key down with them at once, on every node.
 */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(private readonly keys: ApiKeysRepository) {}

  listOf(userId: string): Promise<ApiKeyListing[]> {
    return this.keys.listOf(userId);
  }

  /** A new key for the signed-in person; the key, to be shown once. */
  async create(owner: SignedInUser, name: string, role: Role): Promise<string> {
    if (!atLeast(owner.role, role))
      throw new UserChangeRefused(
        HttpStatus.BAD_REQUEST,
        `A key carries at most your own role (${owner.role}), not ${role}.`,
      );
    const key = `cok_${randomBytes(32).toString('base64url')}`;
    const result = await this.keys.create(owner.id, name, sha256Hex(key), role, {
      kind: 'api-key-created',
      actor: owner.username,
      message: `${owner.username} made the API key "${name}" (${role}).`,
    });
    if (!result.created)
      throw new UserChangeRefused(
        HttpStatus.CONFLICT,
        result.reason === 'taken'
          ? `You have a key named "${name}" already.`
          : `You have ${MAX_KEYS_PER_USER} keys already: revoke one first.`,
      );
    return key;
  }

  /** Revokes one of the person's keys; its name, or null when they have no such key. */
  revoke(owner: SignedInUser, id: string): Promise<string | null> {
    return this.keys.revoke(owner.id, id, (name) => ({
      kind: 'api-key-revoked',
      actor: owner.username,
      message: `${owner.username} revoked the API key "${name}": no node accepts it any more.`,
    }));
  }

  /** Who the key acts as, or null when it is no live key. Notes its use (at most once a minute). */
  async resolve(key: string): Promise<KeyHolder | null> {
    const found = await this.keys.findByHash(sha256Hex(key));
    if (!found) return null;
    if (found.lastUsedAtMs === null || found.nowMs - found.lastUsedAtMs >= TOUCH_EVERY_MS) {
      // Best effort, like a session's last-seen time: a call is never refused for its sake.
      await this.keys.touch(found.id).catch((error: unknown) => {
        this.logger.warn(`could not note that an API key was used: ${errorSummary(error)}`);
      });
    }
    return {
      keyId: found.id,
      keyName: found.name,
      username: found.username,
      role: atLeast(found.userRole, found.role) ? found.role : found.userRole,
    };
  }
}
