import type { FastifyInstance } from 'fastify';
import { findDeliveries, findDeliveryDetail } from '../../db/repositories/console.js';
import { CONSOLE_PREFIX, type ConsoleContext, HIDDEN } from '../context.js';
import { queryString } from '../format.js';
import { BILLING_UNIT_RULE, type Fields, parseDeliverySearch, RESIDENTIAL_UNIT_RULE } from '../forms.js';
import { notFound, renderPage } from '../render.js';

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The text fields of the filter form: name, label, hint. */
const TEXT_FIELDS = [
  ['client', 'Client', 'the client id'],
  ['billingUnit', 'Billing unit', BILLING_UNIT_RULE],
  ['residentialUnit', 'Residential unit', RESIDENTIAL_UNIT_RULE],
  ['from', 'Received from', 'first day, UTC'],
  ['to', 'Received until', 'last day, UTC'],
] as const;

/** "Why did my delivery fail?": deliveries by status, client, unit and day received, and each one with its messages and body. */
export function deliveryRoutes(pages: FastifyInstance, { db }: ConsoleContext): void {
  pages.get('/deliveries', HIDDEN, async (request, reply) => {
    const search = parseDeliverySearch(request.query as Fields);
    const { values, errors } = search;
    const page = { title: 'Deliveries', section: 'deliveries' as const, values, errors, textFields: TEXT_FIELDS };
    if (Object.keys(errors).length > 0) {
      reply.code(400);
      return renderPage(request, reply, 'deliveries', { ...page, invalid: true, deliveries: [] });
    }
    const { rows, hasOlder, hasNewer } = await findDeliveries(db, search.filter, { ...search.page, size: PAGE_SIZE });
    const filters = {
      status: values.status,
      client: values.client,
      billingUnit: values.billingUnit,
      residentialUnit: values.residentialUnit,
      from: values.from,
      to: values.to,
    };
    const link = (paging: Record<string, string | undefined>) =>
      `${CONSOLE_PREFIX}/deliveries${queryString({ ...filters, ...paging })}`;
    return renderPage(request, reply, 'deliveries', {
      ...page,
      deliveries: rows,
      older: hasOlder && rows.length > 0 ? link({ older: rows.at(-1)?.seq }) : undefined,
      newer: hasNewer && rows.length > 0 ? link({ newer: rows[0]?.seq }) : undefined,
      first: link({}),
    });
  });

  pages.get('/deliveries/:id', HIDDEN, async (request, reply) => {
    const { id } = request.params as { id: string };
    const delivery = UUID.test(id) ? await findDeliveryDetail(db, id.toLowerCase()) : undefined;
    if (!delivery) throw notFound('There is no delivery with this id.');
    return renderPage(request, reply, 'delivery', {
      title: `Delivery ${delivery.id}`,
      section: 'deliveries',
      delivery,
    });
  });
}
