import net from 'node:net';
import { type DatabaseHandle, openDatabase } from '../../src/db/connection.js';

/** A TCP proxy to PostgreSQL that a test can cut (an outage) and restore. */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Drops every open connection and refuses new ones. */
  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A proxy in front of the PostgreSQL database at `url`, and a handle that reaches it only through the proxy. */
export async function openThroughProxy(url: string): Promise<{ proxy: TcpProxy; proxied: DatabaseHandle }> {
  const target = new URL(url);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  target.host = `127.0.0.1:${await proxy.listen()}`;
  return { proxy, proxied: await openDatabase({ databaseUrl: target.toString(), dataDir: '' }) };
}
