/** E3's answer of one processed delivery, as sent, and what decides who may read it. */
export interface ProcessedResult {
  clientId: string;
  billingUnit: string;
  /** The response body (JSON). */
  json: string;
}

/** 16 MiB: about 30,000 answers of a SUCCESS delivery (~500 bytes each). */
export const DEFAULT_PROCESSED_RESULTS_BYTES = 16 * 1024 * 1024;

/**
 * E3's answers of processed deliveries, kept in memory. A delivery's status, times and messages
 * never change once the worker stored them (nothing updates or deletes a processed delivery's
 * result; `osr purge` only changes its stored body, which E3 does not show), so an answer read
 * once is the answer for good and E3 need not read the delivery again: only the caller's
 * credential is still re-checked (src/http/routes/delivery-result.ts). Bounded by the bytes of
 * the answers; the least recently read go first.
 */
export class ProcessedResults {
  private readonly entries = new Map<string, ProcessedResult>();
  private bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_PROCESSED_RESULTS_BYTES) {}

  get(id: string): ProcessedResult | undefined {
    const entry = this.entries.get(id);
    if (entry) {
      // Most recently read last: Map keeps insertion order.
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  remember(id: string, result: ProcessedResult): void {
    const size = result.json.length;
    // One very long answer (thousands of messages) would push out many others.
    if (size > this.maxBytes / 64 || this.entries.has(id)) return;
    this.entries.set(id, result);
    this.bytes += size;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.json.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
