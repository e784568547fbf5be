import http from 'node:http';

/** Helpers of the `Prefer: wait` tests (spec 9.1): plain requests over real HTTP, timed. */

export interface TimedAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, checked by the tests
  body: any;
  /** From sending to the complete answer. */
  ms: number;
  /** When the answer was complete (Date.now()). */
  at: number;
}

/** Many connections at once (1,001 waiting requests), kept alive. */
export const manySockets = () => new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

export function send(
  port: number,
  method: 'GET' | 'POST',
  path: string,
  {
    headers = {},
    body,
    agent,
    signal,
  }: { headers?: Record<string, string>; body?: string; agent?: http.Agent; signal?: AbortSignal } = {},
): Promise<TimedAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method, path, headers, ...(agent ? { agent } : {}), ...(signal ? { signal } : {}) },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text === '' ? undefined : JSON.parse(text),
            ms: performance.now() - started,
            at: Date.now(),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The value of a gauge or counter without labels in a Prometheus text answer. */
export function metricValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** p50, p99 and max of samples, in their unit. */
export function distribution(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) as number };
}
