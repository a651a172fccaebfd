import { randomBytes } from 'node:crypto';
import { LEGACY_MASTER_KEY_ID, loadConfig } from '../config/config';
import { CredentialCipher, masterKeyId } from './credential-cipher';

describe('CredentialCipher rotation', () => {
  const a = randomBytes(32);
  const b = randomBytes(32);

  it('rewrap moves a record to the current key without touching its ciphertext; the old key is then not needed', () => {
    const old = new CredentialCipher(masterKeyId(a), a);
    const sealed = old.encrypt('rec-1', { secret: 's3cret' });
    const rotating = new CredentialCipher(masterKeyId(b), b, new Map([[masterKeyId(a), a]]));
    expect(rotating.needsRewrap(sealed)).toBe(true);
    const moved = rotating.rewrap('rec-1', sealed);
    expect(moved.keyId).toBe(masterKeyId(b));
    expect(moved.ciphertext.equals(sealed.ciphertext)).toBe(true);
    expect(rotating.needsRewrap(moved)).toBe(false);
    expect(new CredentialCipher(masterKeyId(b), b).decrypt('rec-1', moved)).toEqual({ secret: 's3cret' });
    expect(() => new CredentialCipher(masterKeyId(b), b).decrypt('rec-1', sealed)).toThrow(/not configured/);
  });

  it('refuses to rewrap a record bound to another record id or under an unknown key', () => {
    const cipher = new CredentialCipher(masterKeyId(b), b, new Map([[masterKeyId(a), a]]));
    const sealed = new CredentialCipher(masterKeyId(a), a).encrypt('rec-1', { secret: 'x' });
    expect(() => cipher.rewrap('rec-2', sealed)).toThrow();
    expect(() => new CredentialCipher(masterKeyId(b), b).rewrap('rec-1', sealed)).toThrow(/not configured/);
  });

  it('config: key ids are hashes of the keys; retired keys as plain base64 or id:base64; legacy k1 records still open', () => {
    const c = loadConfig({ MASTER_KEY: b.toString('base64'), MASTER_KEYS_RETIRED: `${a.toString('base64')}, old:${a.toString('base64')}` });
    expect(c.MASTER_KEY_ID).toBe(masterKeyId(b));
    expect(c.MASTER_KEY_ID).toMatch(/^k[0-9a-f]{12}$/);
    expect([...c.retiredKeys.keys()].sort()).toEqual([LEGACY_MASTER_KEY_ID, masterKeyId(a), 'old'].sort());
    const legacy = new CredentialCipher(LEGACY_MASTER_KEY_ID, b).encrypt('rec', { v: '1' });
    const cipher = new CredentialCipher(c.MASTER_KEY_ID, c.masterKey!, c.retiredKeys);
    expect(cipher.decrypt('rec', legacy)).toEqual({ v: '1' });
    expect(cipher.rewrap('rec', legacy).keyId).toBe(masterKeyId(b));
    expect(loadConfig({ MASTER_KEY: b.toString('base64'), MASTER_KEY_ID: 'mine' }).retiredKeys.size).toBe(0);
    expect(() => loadConfig({ MASTER_KEY: b.toString('base64'), MASTER_KEYS_RETIRED: 'not-a-key' })).toThrow(/MASTER_KEYS_RETIRED/);
  });
});
