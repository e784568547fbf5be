// The bare minimum to compare with (bench row 1 and 4): a Fastify + pg server in the same process
// style as ours, whose POST does one INSERT of the same JSON and whose GET one primary-key query.
//   DATABASE_URL=… PORT=… npx tsx bench/bare-server.ts
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.OSR_DB_POOL_SIZE ?? 10),
});
await pool.query('CREATE TABLE IF NOT EXISTS bare_deliveries (id uuid PRIMARY KEY, body jsonb NOT NULL)');
const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
app.post('/bare/:bu/:ru', async (request, reply) => {
  const id = randomUUID();
  await pool.query('INSERT INTO bare_deliveries (id, body) VALUES ($1, $2)', [id, JSON.stringify(request.body)]);
  return reply.code(202).send({ dataDeliveryId: id });
});
app.get('/bare/:id', async (request, reply) => {
  const { rows } = await pool.query('SELECT id, body FROM bare_deliveries WHERE id = $1', [
    (request.params as { id: string }).id,
  ]);
  return rows[0] ? rows[0] : reply.code(404).send({ status: 'FAIL' });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () =>
  app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0)),
);
