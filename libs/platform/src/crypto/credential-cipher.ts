import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** An encrypted credential record as stored: the data key is wrapped by the master key `keyId`. */
export interface SealedSecret {
  ciphertext: Buffer;
  wrappedKey: Buffer;
  keyId: string;
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

/**
 * The id of a master key: a short hash of the key itself ("k" + 12 hex digits of SHA-256), so a deployment
 * never has to name its keys and two different keys never share an id. Safe to store and to print.
 */
export function masterKeyId(key: Buffer): string {
  return `k${createHash('sha256').update('backup-gateway master key id\n').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * Envelope encryption for connection credentials: AES-256-GCM with a fresh data key per record, the
 * data key wrapped (AES-256-GCM) by the master key. The record id is bound as AAD so a ciphertext
 * cannot be moved to another row. Retired master keys still decrypt; `rewrap` moves a record to the
 * current key (rotation).
 */
export class CredentialCipher {
  constructor(
    private readonly currentKeyId: string,
    private readonly currentKey: Buffer,
    private readonly retired: Map<string, Buffer> = new Map(),
  ) {
    if (currentKey.length !== 32) throw new Error('master key must be 32 bytes');
  }

  encrypt(recordId: string, value: Record<string, string>): SealedSecret {
    const dataKey = randomBytes(32);
    const aad = Buffer.from(recordId);
    const ciphertext = seal(dataKey, Buffer.from(JSON.stringify(value)), aad);
    const wrappedKey = seal(this.currentKey, dataKey, Buffer.from(`${this.currentKeyId}:${recordId}`));
    dataKey.fill(0);
    return { ciphertext, wrappedKey, keyId: this.currentKeyId };
  }

  decrypt(recordId: string, sealed: SealedSecret): Record<string, string> {
    const master = sealed.keyId === this.currentKeyId ? this.currentKey : this.retired.get(sealed.keyId);
    if (!master) throw new Error(`master key ${sealed.keyId} is not configured`);
    const dataKey = open(master, sealed.wrappedKey, Buffer.from(`${sealed.keyId}:${recordId}`));
    const plain = open(dataKey, sealed.ciphertext, Buffer.from(recordId));
    dataKey.fill(0);
    return JSON.parse(plain.toString('utf8')) as Record<string, string>;
  }

  /** The id of the master key new records are sealed under. */
  get keyId(): string {
    return this.currentKeyId;
  }

  needsRewrap(sealed: SealedSecret): boolean {
    return sealed.keyId !== this.currentKeyId;
  }

  /**
   * The same record under the current master key: only the data key is unwrapped (with the retired key
   * `sealed.keyId`) and wrapped again; the ciphertext is left as it is. Throws if `sealed.keyId` is not configured
   * or the wrapped key does not open (wrong key, or moved from another record).
   */
  rewrap(recordId: string, sealed: SealedSecret): SealedSecret {
    const master = sealed.keyId === this.currentKeyId ? this.currentKey : this.retired.get(sealed.keyId);
    if (!master) throw new Error(`master key ${sealed.keyId} is not configured`);
    const dataKey = open(master, sealed.wrappedKey, Buffer.from(`${sealed.keyId}:${recordId}`));
    const wrappedKey = seal(this.currentKey, dataKey, Buffer.from(`${this.currentKeyId}:${recordId}`));
    dataKey.fill(0);
    return { ciphertext: sealed.ciphertext, wrappedKey, keyId: this.currentKeyId };
  }
}
