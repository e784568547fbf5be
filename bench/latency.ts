import type { benchClient } from './database.js';

/**
 * POST → result latency under an open-loop load, as an ERP client sees it: each delivery is
 * POSTed, then its E3 result fetched until it is no longer PENDING, either by polling every
 * 10 ms (`poll`, a very eager client) or by asking the server to hold the answer
 * (`wait`, `Prefer: wait`, spec 9.1). Shared by bench/run.ts and bench/probe.ts.
 */
export type ResultClient = 'poll' | 'wait';

/** A delivery that does not come back within this is counted at it (the phase stays bounded). */
export const LATENCY_CAP_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LatencyLoad {
  call: ReturnType<typeof benchClient>['call'];
  /** Deliveries per second, sent on schedule whatever the answers (open loop). */
  rate: number;
  /** Sent at the same rate first and not counted. */
  warmUpMs: number;
  /** Counted time. */
  seconds: number;
  /** E1's path and body of the n-th delivery, and E3's path of a delivery id. */
  delivery: (n: number) => { path: string; body: string };
  resultPath: (id: string) => string;
  client: ResultClient;
}

/** The latencies (ms) of the deliveries sent after the warm-up, each at most `LATENCY_CAP_MS`. */
export async function postToResultLatencies(load: LatencyLoad): Promise<number[]> {
  const { call, rate, warmUpMs, seconds, client } = load;
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  const began = Date.now();
  for (let sent = 0; Date.now() - began < warmUpMs + seconds * 1000; sent++) {
    // One reading of the clock: read twice, the wait could come out negative (a Node warning).
    const wait = began + (sent * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    const counted = Date.now() - began >= warmUpMs;
    const { path, body } = load.delivery(sent);
    inFlight.push(
      (async () => {
        const t0 = performance.now();
        const { dataDeliveryId } = JSON.parse(await call('POST', path, body)) as { dataDeliveryId: string };
        for (;;) {
          const left = LATENCY_CAP_MS - (performance.now() - t0);
          if (left <= 0) break;
          if (client === 'poll') await sleep(10);
          const prefer: Record<string, string> = client === 'wait' ? { prefer: `wait=${Math.ceil(left / 1000)}` } : {};
          const result = await call('GET', load.resultPath(dataDeliveryId), undefined, prefer);
          if ((JSON.parse(result) as { status: string }).status !== 'PENDING') break;
        }
        if (counted) latencies.push(Math.min(performance.now() - t0, LATENCY_CAP_MS));
      })(),
    );
  }
  await Promise.all(inFlight);
  return latencies;
}
