import type { FastifyInstance } from 'fastify';
import {
  findConsoleUnit,
  findDeliveries,
  residentialUnitsOf,
  unitPartners,
  unitRoles,
} from '../../db/repositories/console.js';
import { unitHistory } from '../../db/repositories/operator.js';
import { BILLING_UNIT_FORMAT, RESIDENTIAL_UNIT_FORMAT } from '../../domain/delivery-schema.js';
import { KNOWN_ROLE_TYPES } from '../../domain/role-types.js';
import { CONSOLE_PREFIX, type ConsoleContext, HIDDEN } from '../context.js';
import { partnerName, todayUtc } from '../format.js';
import { type Fields, parseUnitSearch } from '../forms.js';
import { notFound, redirect, renderPage } from '../render.js';
import { NARROW_CHART_WIDTH, timelineChart } from '../timeline-chart.js';

/** A billing unit's residential units listed at most. */
const MAX_LISTED_UNITS = 1000;
/** The unit page's latest deliveries; the deliveries page has them all. */
const UNIT_DELIVERIES = 20;

/** Finding a unit, and the unit page: its timeline chart, partners, change history and deliveries. */
export function unitRoutes(pages: FastifyInstance, { db, profile }: ConsoleContext): void {
  pages.get('/', HIDDEN, async (_request, reply) => redirect(reply, `${CONSOLE_PREFIX}/units`));

  pages.get('/units', HIDDEN, async (request, reply) => {
    const { values, errors } = parseUnitSearch(request.query as Fields);
    const page = { title: 'Find a unit', section: 'units' as const, values, errors };
    if (Object.keys(errors).length > 0) {
      reply.code(400);
      return renderPage(request, reply, 'units', page);
    }
    const { billingUnit, residentialUnit } = values;
    if (billingUnit && residentialUnit) {
      if (await findConsoleUnit(db, billingUnit, residentialUnit)) {
        return redirect(reply, `${CONSOLE_PREFIX}/units/${billingUnit}/${residentialUnit}`);
      }
      reply.code(404);
      return renderPage(request, reply, 'units', {
        ...page,
        notFound: `There is no residential unit ${residentialUnit} in billing unit ${billingUnit}.`,
      });
    }
    if (billingUnit) {
      const found = await residentialUnitsOf(db, billingUnit, MAX_LISTED_UNITS);
      if (!found) {
        reply.code(404);
        return renderPage(request, reply, 'units', { ...page, notFound: `There is no billing unit ${billingUnit}.` });
      }
      const listing = { billingUnit, ...found, truncated: found.units.length === MAX_LISTED_UNITS };
      return renderPage(request, reply, 'units', { ...page, listing });
    }
    return renderPage(request, reply, 'units', page);
  });

  pages.get('/units/:billingUnit/:residentialUnit', HIDDEN, async (request, reply) => {
    const { billingUnit, residentialUnit } = request.params as { billingUnit: string; residentialUnit: string };
    const unit =
      BILLING_UNIT_FORMAT.test(billingUnit) && RESIDENTIAL_UNIT_FORMAT.test(residentialUnit)
        ? await findConsoleUnit(db, billingUnit, residentialUnit)
        : undefined;
    if (!unit) throw notFound('There is no such residential unit.');
    const [roles, partners, history, deliveries] = await Promise.all([
      unitRoles(db, unit.id),
      unitPartners(db, unit.id),
      unitHistory(db, billingUnit, residentialUnit),
      findDeliveries(db, { clientId: unit.clientId, billingUnit, residentialUnit }, { size: UNIT_DELIVERIES }),
    ]);
    const names = new Map(partners.map((partner) => [partner.pmnumber, partnerName(partner) || partner.pmnumber]));
    const chartInput = {
      roles,
      partnerNames: names,
      // The profile's role types, in the contract's order; a stored role of another type adds its lane.
      laneTypes: KNOWN_ROLE_TYPES.filter((type) => profile.supportedRoles.has(type)),
      today: todayUtc(),
    };
    const chart = timelineChart(chartInput);
    // A phone's: the same periods on 356 units, shown instead below 700 px width.
    const narrowChart = timelineChart({ ...chartInput, width: NARROW_CHART_WIDTH });
    const periods = chart.lanes.flatMap((lane) => lane.bars).sort((a, b) => (a.from < b.from ? -1 : 1));
    return renderPage(request, reply, 'unit', {
      title: `Unit ${billingUnit}/${residentialUnit}`,
      section: 'units',
      unit,
      chart,
      narrowChart,
      periods,
      partners,
      history: history ?? [],
      deliveries: deliveries.rows,
    });
  });
}
