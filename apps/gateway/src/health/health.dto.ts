import { z } from 'zod';
import { named } from '../common/openapi';

export const livenessSchema = named('Liveness', z.object({ status: z.literal('ok') }));

const check = z.object({ status: z.enum(['up', 'down']), error: z.string().optional() });

export const readinessSchema = named(
  'Readiness',
  z.object({ status: z.enum(['ok', 'unavailable']), checks: z.object({ postgres: check, redis: check }) }),
);
