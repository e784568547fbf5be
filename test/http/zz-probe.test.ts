import { afterAll, beforeAll, it } from 'vitest';
import { BASE, basic, type Harness, seed, startHarness, awaitResult } from '../support/harness.js';
import { moveInMustermann } from '../support/spec.js';
let h: Harness;
const AUTH = basic('erp', 'erp-password');
beforeAll(async () => {
  h = await startHarness();
  await seed(h, { clients: [{ id: 'acme', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
    credentials: [{ clientId: 'acme', username: 'erp', password: 'erp-password' }] });
});
afterAll(() => h?.close());
it('probe', async () => {
  const post = (bu: string, ru: string, payload = JSON.stringify(moveInMustermann()), headers = {}) => h.app.inject({ method: 'POST', url: `${BASE}/billingunits/${bu}/residentialunits/${ru}/on-site-roles`, headers: { authorization: AUTH, 'content-type': 'application/json', ...headers }, payload });
  for (const [bu, ru] of [['%00', '0001'], ['654321', '%00'], ['%ED%A0%80', '0001'], ['6'.repeat(300), '0001']]) {
    const r = await post(bu, ru);
    console.log(bu.slice(0, 20), ru, r.statusCode, r.body.slice(0, 300));
    if (r.statusCode === 202) console.log(JSON.stringify(await awaitResult(h.app, AUTH, bu, r.json().dataDeliveryId)).slice(0, 400));
    const g = await h.app.inject({ method: 'GET', url: `${BASE}/billingunits/${bu}/residentialunits/${ru}/on-site-roles`, headers: { authorization: AUTH } });
    console.log('E2', g.statusCode, g.body.slice(0, 200));
  }
  const r = await post('654321', '0001', '\uFEFF' + JSON.stringify(moveInMustermann()));
  console.log('BOM', r.statusCode, r.body);
  const z = await post('654321', '0001', JSON.stringify(moveInMustermann()), { 'content-encoding': 'gzip' });
  console.log('gzip', z.statusCode, z.body);
});
