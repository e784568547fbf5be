import underPressure from '@fastify/under-pressure';
import { answers } from '../errors.js';
import { sendError } from './errors.js';
import { inRegisteringScope } from './scope.js';

/** Thresholds of @fastify/under-pressure. */
export interface PressureThresholds {
  maxEventLoopDelay?: number;
  maxEventLoopUtilization?: number;
  maxHeapUsedBytes?: number;
  sampleInterval?: number;
}

// Only event-loop delay: a busy loop (high utilisation) at full load is not overload; a stalled one is.
const DEFAULT_PRESSURE: PressureThresholds = { maxEventLoopDelay: 1_000 };

/** Overload protection of the scope that registers it: 503 OSR-503 with Retry-After (spec section 7). */
export const overloadProtection = inRegisteringScope(
  'overload-protection',
  async (scope, thresholds: PressureThresholds) => {
    await scope.register(underPressure, {
      ...DEFAULT_PRESSURE,
      ...thresholds,
      // Shed load with the envelope instead of falling over.
      pressureHandler: (_request, reply) => {
        sendError(reply, answers.unavailable());
      },
    });
  },
);
