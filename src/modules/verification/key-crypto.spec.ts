import { randomBytes } from 'node:crypto';
import { NodeKeys } from '../environment/node-keys';
import { KeyCrypto } from './key-crypto';

const keys = () => new NodeKeys(randomBytes(32), randomBytes(16));

describe('KeyCrypto', () => {
  it('opens tokens made with the same keys on another node', () => {
    const shared = keys();
    const nodeA = new KeyCrypto(shared);
    const nodeB = new KeyCrypto(
      new NodeKeys(Buffer.from(shared.encryptionKey), Buffer.from(shared.machineKey)),
    );
    expect(nodeB.opensEncryptionToken(nodeA.makeEncryptionToken())).toBe(true);
    expect(nodeB.opensMachineToken(nodeA.makeMachineToken())).toBe(true);
  });

  it('reports a decryption failure for tokens made with other keys', () => {
    const nodeA = new KeyCrypto(keys());
    const odd = new KeyCrypto(keys());
    expect(odd.opensEncryptionToken(nodeA.makeEncryptionToken())).toBe(false);
    expect(odd.opensMachineToken(nodeA.makeMachineToken())).toBe(false);
  });

  it('keeps the two keys apart: a machine token does not pass as an encryption token', () => {
    const same = randomBytes(32);
    const crypto = new KeyCrypto(new NodeKeys(same, same));
    expect(crypto.opensEncryptionToken(crypto.makeMachineToken())).toBe(false);
  });

  it('uses a fresh nonce for every token and rejects tampered, empty or garbage tokens', () => {
    const crypto = new KeyCrypto(keys());
    const token = crypto.makeEncryptionToken();
    expect(crypto.makeEncryptionToken()).not.toBe(token);
    const tampered = Buffer.from(token, 'base64url');
    tampered[14] ^= 1;
    expect(crypto.opensEncryptionToken(tampered.toString('base64url'))).toBe(false);
    expect(crypto.opensEncryptionToken(null)).toBe(false);
    expect(crypto.opensEncryptionToken('not a token')).toBe(false);
  });

  it('never puts key material in a token or a derived secret', () => {
    const nodeKeys = keys();
    const crypto = new KeyCrypto(nodeKeys);
    const hex = nodeKeys.machineKey.toString('hex');
    for (const value of [crypto.makeMachineToken(), crypto.sessionSigningSecret, crypto.csrfSecret]) {
      expect(value).not.toContain(hex);
      expect(Buffer.from(value, 'base64url').toString('hex')).not.toContain(hex);
    }
  });

  it('seals stored secrets that every node with the encryption key opens, and no other', () => {
    const shared = keys();
    const nodeA = new KeyCrypto(shared);
    const nodeB = new KeyCrypto(new NodeKeys(Buffer.from(shared.encryptionKey), randomBytes(32)));
    const sealed = nodeA.sealSecret('https://hooks.example.com/T0/secret?token=abc');
    expect(sealed).not.toContain('hooks.example.com');
    expect(sealed).not.toBe(nodeA.sealSecret('https://hooks.example.com/T0/secret?token=abc'));
    expect(nodeB.openSecret(sealed)).toBe('https://hooks.example.com/T0/secret?token=abc');
    expect(new KeyCrypto(keys()).openSecret(sealed)).toBeNull();
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`;
    expect(nodeA.openSecret(tampered)).toBeNull();
    expect(nodeA.openSecret('not sealed')).toBeNull();
    expect(nodeA.openSecret('v1.')).toBeNull();
  });
});
