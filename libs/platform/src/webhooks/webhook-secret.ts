import { randomBytes } from 'node:crypto';
import type { CredentialCipher, SealedSecret } from '../crypto/credential-cipher';

/** Standard Webhooks secret: "whsec_" + base64 of 32 random bytes (the spec asks for 24 to 64). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The cipher's record id for an endpoint's secrets: bound as AAD, distinct from connection ids' use. */
const recordId = (endpointId: string) => `webhook_endpoint:${endpointId}`;

/** Encrypts an endpoint's signing secret (envelope encryption, like connection credentials). */
export function sealWebhookSecret(cipher: CredentialCipher, endpointId: string, secret: string): SealedSecret {
  return cipher.encrypt(recordId(endpointId), { secret });
}

export function openWebhookSecret(cipher: CredentialCipher, endpointId: string, sealed: SealedSecret): string {
  return cipher.decrypt(recordId(endpointId), sealed).secret;
}
