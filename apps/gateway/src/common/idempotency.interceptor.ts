import { createHash } from 'node:crypto';
import { Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { CredentialCipher, IdempotencyStore, type SqlTx } from '@bg/platform';
import { problem, ProblemError } from './problem';
import type { Principal } from './principal';

const SECRET_RESPONSE = 'bg:secret-response';

/**
 * Marks a handler whose answer holds a secret shown once (an API key, a webhook secret): with an
 * Idempotency-Key the stored answer is encrypted (CredentialCipher, bound to principal and key), so a
 * replay still returns it but the database never holds it in clear.
 */
export const SecretResponse = (): MethodDecorator => SetMetadata(SECRET_RESPONSE, true);

/**
 * Set on the request while it holds an Idempotency-Key claim: a handler that commits a transaction
 * records its answer with `record` inside it, so the answer survives a crash right after the commit.
 * Not for secret answers (those are sealed by the interceptor after the handler).
 */
export interface IdempotencyRecorder {
  record(tx: SqlTx, status: number, headers: Record<string, string>, body: unknown): Promise<void>;
}
export type WithIdempotency = FastifyRequest & { idempotency?: IdempotencyRecorder };

interface SealedBody {
  $sealed: { ciphertext: string; wrappedKey: string; keyId: string };
}

/**
 * Idempotency-Key on every POST: same key + same request -> the first answer (status, Location, body);
 * same key + another request -> 422 IDEMPOTENCY_KEY_REUSED; still in flight -> 409 IDEMPOTENCY_IN_FLIGHT.
 * A request that fails releases its key so the client can retry with it.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
    private readonly cipher: CredentialCipher,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || typeof key !== 'string' || !req.principal) return next.handle();
    return from(this.run(context, req, key, next));
  }

  private async run(
    context: ExecutionContext,
    req: FastifyRequest & { principal?: Principal },
    key: string,
    next: CallHandler,
  ): Promise<unknown> {
    if (key.length < 1 || key.length > 255)
      throw ProblemError.of('VALIDATION_FAILED', 'Idempotency-Key must be 1-255 characters.', {
        errors: [{ path: 'Idempotency-Key', message: 'invalid length' }],
      });
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const principal = req.principal!.keyId;
    const hash = createHash('sha256')
      .update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');
    const claim = await this.store.claim(principal, key, hash);
    if (claim.kind === 'mismatch')
      throw new ProblemError(problem('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.'));
    if (claim.kind === 'in_flight')
      throw new ProblemError(
        problem('IDEMPOTENCY_IN_FLIGHT', 'A request with this Idempotency-Key is still being processed; retry shortly.'),
      );
    const recordId = `idempotency:${principal}:${key}`;
    if (claim.kind === 'replay') {
      for (const [h, v] of Object.entries(claim.headers)) reply.header(h, v);
      reply.header('idempotent-replayed', 'true');
      reply.status(claim.status);
      return this.open(recordId, claim.body);
    }
    (req as WithIdempotency).idempotency = {
      record: (tx, status, headers, body) => this.store.completeIn(tx, principal, key, status, headers, body),
    };
    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const location = reply.getHeader('location');
      const secret = this.reflector.get<boolean>(SECRET_RESPONSE, context.getHandler());
      await this.store.complete(
        principal,
        key,
        reply.statusCode,
        location ? { location: String(location) } : {},
        secret ? this.seal(recordId, body) : body,
      );
      return body;
    } catch (e) {
      await this.store.release(principal, key);
      throw e;
    }
  }

  private seal(recordId: string, body: unknown): SealedBody {
    const sealed = this.cipher.encrypt(recordId, { body: JSON.stringify(body ?? null) });
    return {
      $sealed: { ciphertext: sealed.ciphertext.toString('base64'), wrappedKey: sealed.wrappedKey.toString('base64'), keyId: sealed.keyId },
    };
  }

  private open(recordId: string, body: unknown): unknown {
    const sealed = (body as Partial<SealedBody> | null)?.$sealed;
    if (!sealed) return body;
    const { body: json } = this.cipher.decrypt(recordId, {
      ciphertext: Buffer.from(sealed.ciphertext, 'base64'),
      wrappedKey: Buffer.from(sealed.wrappedKey, 'base64'),
      keyId: sealed.keyId,
    });
    return JSON.parse(json);
  }
}
