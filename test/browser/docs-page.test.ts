import type { AddressInfo } from 'node:net';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium } from '../support/browser.js';
import { basic, deliver, type Harness, seed, startHarness } from '../support/harness.js';
import { moveInMustermann } from '../support/spec.js';

const skipReason = browserSkipReason('the docs page test');

/**
 * The docs page as an ERP developer uses it: Swagger UI in headless Chromium renders E1–E3 and the
 * operational endpoints, "Try it out" of E2 with Basic auth returns the unit's roles, and a reader
 * finds the authentication scheme and the messages the server sends.
 */
describe.skipIf(Boolean(skipReason))('/docs in headless Chromium', { timeout: 60_000 }, () => {
  let h: Harness;
  let browser: Browser;
  let base: string;
  beforeAll(async () => {
    h = await startHarness();
    await seed(h, {
      clients: [{ id: 'demo', billingUnits: [{ mscnumber: '654321', units: ['0001'] }] }],
      credentials: [{ clientId: 'demo', username: 'demo', password: 'demo-password' }],
    });
    await deliver(h.app, basic('demo', 'demo-password'), '654321', '0001', moveInMustermann());
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('renders E1–E3, the operational endpoints and the /msc/v1 part, and "Try it out" of E2 with Basic auth returns the demo unit', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/docs`);
    const paths = page.locator('.opblock-summary-path');
    await expect.poll(() => paths.count(), { timeout: 15_000 }).toBe(8);
    const shown = (await paths.allInnerTexts()).map((text) => text.replace(/\u200b/g, ''));
    expect(shown.sort()).toEqual([
      '/arge/on-site-roles/v1/billingunits/{bu}/on-site-roles/data-delivery/{dataDeliveryId}',
      '/arge/on-site-roles/v1/billingunits/{bu}/residentialunits/{ru}/on-site-roles',
      '/arge/on-site-roles/v1/billingunits/{bu}/residentialunits/{ru}/on-site-roles',
      '/health',
      '/metrics',
      '/msc/v1/changes',
      '/msc/v1/uvi-recipients',
      '/ready',
    ]);

    await page.locator('.btn.authorize').first().click();
    const modal = page.locator('.modal-ux');
    await expect.poll(() => modal.textContent(), { timeout: 5_000 }).toMatch(/basicAuth\s*\(http, Basic\)/);
    await modal.locator('input[type=text]').first().fill('demo');
    await modal.locator('input[type=password]').first().fill('demo-password');
    await modal.locator('button.authorize').first().click();
    await modal.locator('button.btn-done').first().click();

    const e2 = page.locator('#operations-on-site-roles-getCurrentRoles');
    await e2.locator('.opblock-summary').click();
    await e2.locator('button.try-out__btn').click();
    await e2.locator('input[placeholder="bu"]').fill('654321');
    await e2.locator('input[placeholder="ru"]').fill('0001');
    await e2.locator('button.execute').click();
    const responseBody = e2.locator('.live-responses-table .response-col_description pre').first();
    await expect.poll(() => responseBody.textContent(), { timeout: 10_000 }).toContain('12345611');
    const answer = JSON.parse((await responseBody.textContent()) ?? '');
    expect(answer.billingunit.residentialunit.roles).toEqual([
      { role: 'S-COR', from: '2018-05-01', to: '9999-12-31', partner: { pmnumber: '12345611' } },
    ]);
    expect(await e2.locator('.live-responses-table tr.response .response-col_status').first().textContent()).toContain(
      '200',
    );
  });

  it('shows a reader the authentication scheme and the message texts, exactly as the server sends them', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/docs`);
    const info = page.locator('.information-container');
    await expect.poll(() => info.textContent(), { timeout: 15_000 }).toContain('Authentication: HTTP Basic');
    expect(await info.textContent()).toContain('WWW-Authenticate: Basic realm="on-site-roles"');
    const cellsOf = (table: Locator) =>
      table
        .locator('tr')
        .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)));
    // the HTTP-level answers are a table in the introduction
    const httpErrors = await cellsOf(info.locator('table').first());
    expect(httpErrors).toContainEqual([
      '415',
      'OSR-415',
      'Unsupported media type, use application/json.',
      expect.any(String),
    ]);

    // E3's description lists the asynchronous messages: readable once the operation is opened
    const e3 = page.locator('#operations-on-site-roles-getDeliveryResult');
    await e3.locator('.opblock-summary').click();
    const description = e3.locator('.opblock-description-wrapper');
    await expect
      .poll(() => description.textContent(), { timeout: 10_000 })
      .toContain('There is no matching role in the delete target.');
    const rows = (await Promise.all((await description.locator('table').all()).map(cellsOf))).flat();
    const row = (rule: string) => rows.find((cells) => cells[0] === rule);
    expect(row('X1')?.slice(0, 4)).toEqual([
      'X1',
      'OSR-KALO',
      'There is no matching role in the delete target.',
      'roleMessages',
    ]);
    // Markdown punctuation in a text is shown as it is, not turned into code
    expect(row('X2')?.[2]).toBe('Active `from` date does not match delete `from` date. Deletion is not possible.');
    expect(row('OSR-1004')).toBeUndefined(); // listed at E1, not at E3
  });
});
