import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium } from '../support/browser.js';
import { basic, deliver, getRoles, type Harness, seed, seedOperators, startHarness } from '../support/harness.js';
import { BU, MESSAGE, moveInMustermann, RU, useCase1, useCase2, useCase3 } from '../support/spec.js';

const skipReason = browserSkipReason('the console browser test');

/** Screenshots of every page at both widths, written by each run (not committed: .gitignore). */
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/console/', import.meta.url));
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDTHS = [1280, 390] as const;

const CLIENT_PASSWORD = 'erp-secret-123';
const OPS_PASSWORD = 'support-secret-123';
const READER_PASSWORD = 'reader-secret-123';

/** What the tests read of the chart's SVG elements in the page (the project compiles without the DOM's types). */
interface SvgShape {
  getBBox(): { x: number; width: number };
}
interface SvgGroup {
  dataset: Record<string, string | undefined>;
  classList: { contains(name: string): boolean };
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
  querySelector(selector: string): { textContent: string | null } | null;
}

interface ShownBar {
  role: string;
  from: string;
  to: string;
  open: boolean;
  label: string[];
  title: string;
  width: number;
}

/**
 * The support console as its staff use it, in headless Chromium: signing in with the keyboard,
 * the unit page after the source document's use cases (the chart's bars read from the DOM), a
 * failed delivery's messages, revoking a leaked credential, a read-only operator, signing out.
 * Every page passes axe-core without a serious or critical finding at 1280 and 390 px, and fits
 * 390 px without scrolling sideways (the chart scrolls in its own region).
 */
describe.skipIf(Boolean(skipReason))('/console in headless Chromium', { timeout: 120_000 }, () => {
  let h: Harness;
  let browser: Browser;
  let base: string;
  const client = basic('acme-erp', CLIENT_PASSWORD);
  const checkedPages = new Set<string>();

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    h = await startHarness();
    await seed(h, {
      clients: [{ id: 'acme', billingUnits: [{ mscnumber: BU, units: [RU, '0002'] }] }],
      credentials: [
        { clientId: 'acme', username: 'acme-erp', password: CLIENT_PASSWORD },
        { clientId: 'acme', username: 'acme-leaked', password: 'leaked-secret-123' },
      ],
    });
    await seedOperators(h, [
      { name: 'support', password: OPS_PASSWORD },
      { name: 'reader', password: READER_PASSWORD, readOnly: true },
    ]);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** A browser window of one operator, signed in with the keyboard only. */
  async function signedIn(name: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    // the name field has the focus; Tab to the password, Enter sends the form
    await expect.poll(() => page.evaluate<string | undefined>('document.activeElement?.id')).toBe('name');
    await page.keyboard.type(name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/units$/);
    return { context, page };
  }

  /**
   * The page as it is now, at 1280 and 390 px: a screenshot of each, no horizontal scrolling of the
   * page at 390 px, and axe-core (WCAG 2.1 A/AA rules and best practices) without a serious or
   * critical finding.
   */
  async function checkPage(page: Page, name: string): Promise<void> {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true });
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
      if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(AXE_SOURCE);
      // Every rule axe runs by default (WCAG 2.0–2.2 A and AA, best practices); what it found, by impact.
      const { passes, violations } = await page.evaluate<{
        passes: number;
        violations: { id: string; impact: string; targets: string[] }[];
      }>(
        `axe.run().then((result) => ({ passes: result.passes.length, violations: result.violations.map(
           ({ id, impact, nodes }) => ({ id, impact, targets: nodes.map((node) => node.target.join(' ')) })) }))`,
      );
      expect(passes, 'axe checked the page').toBeGreaterThan(10);
      const serious = violations.filter((violation) => ['serious', 'critical'].includes(violation.impact));
      expect(serious, `${name} at ${width} px`).toEqual([]);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    checkedPages.add(name);
  }

  /** The bars of the chart shown at the page's width (the wide one at 1280 px, the narrow one at 390 px). */
  const bars = (page: Page): Promise<ShownBar[]> =>
    page.locator('.chart-scroll:visible svg.timeline g.bar').evaluateAll((groups) =>
      groups.map((group) => {
        const g = group as unknown as SvgGroup;
        return {
          role: g.dataset.role ?? '',
          from: g.dataset.from ?? '',
          to: g.dataset.to ?? '',
          open: g.classList.contains('open'),
          label: [...g.querySelectorAll('tspan')].map((span) => span.textContent ?? ''),
          title: g.querySelector('title')?.textContent ?? '',
          width: (g.querySelector('.bar-body') as unknown as SvgShape).getBBox().width,
        };
      }),
    );

  it('shows who lived in the unit when: the timeline after the move-in and use cases 1–3', async () => {
    const { context, page } = await signedIn('support', OPS_PASSWORD);
    await checkPage(page, 'units');
    const unitPage = `${base}/console/units/${BU}/${RU}`;

    // no role yet: an empty lane
    await page.getByLabel('Billing unit').fill(BU);
    await page.getByLabel('Residential unit').fill(RU);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(unitPage);
    expect(await bars(page)).toEqual([]);
    expect(await page.locator('.chart-wide .lane-empty').textContent()).toBe('no S-COR roles');

    // Mustermann moves in, open-ended
    expect((await deliver(h.app, client, BU, RU, moveInMustermann())).status).toBe('SUCCESS');
    await page.reload();
    expect(await bars(page)).toEqual([
      {
        role: 'S-COR',
        from: '2018-05-01',
        to: '',
        open: true,
        label: ['Mustermann, Max', '2018-05-01 – open'],
        title: 'S-COR: Mustermann, Max (12345611), 2018-05-01 – open',
        width: expect.any(Number),
      },
    ]);
    // an open end reaches past the today line
    const todayX = Number(await page.locator('.chart-wide .today line').getAttribute('x1'));
    const [open] = await bars(page);
    const openEnd = await page
      .locator('.chart-wide g.bar .bar-body')
      .evaluate((el) => ((box) => box.x + box.width)((el as unknown as SvgShape).getBBox()));
    expect(openEnd).toBeGreaterThan(todayX + 50);
    expect(open?.width).toBeGreaterThan(0);
    await checkPage(page, 'unit-open-end');

    // use case 1: two periods, one after the other, then no role up to today
    expect((await deliver(h.app, client, BU, RU, useCase1())).status).toBe('SUCCESS');
    await page.reload();
    const afterUseCase1 = await bars(page);
    expect(afterUseCase1.map(({ from, to, open, title }) => ({ from, to, open, title }))).toEqual([
      {
        from: '2018-05-01',
        to: '2022-05-31',
        open: false,
        title: 'S-COR: Mustermann, Max (12345611), 2018-05-01 – 2022-05-31',
      },
      {
        from: '2022-06-01',
        to: '2022-12-31',
        open: false,
        title: 'S-COR: Musterfrau, Meike (12345612), 2022-06-01 – 2022-12-31',
      },
    ]);
    expect(afterUseCase1[0]?.label).toEqual(['Mustermann, Max', '2018-05-01 – 2022-05-31']);
    expect(afterUseCase1[1]?.label).toEqual(['Musterfrau, Meike', '2022-06-01 – 2022-12-31']);
    expect(await page.locator('.chart-wide g.gap').getAttribute('data-from')).toBe('2023-01-01');
    // a phone shows the same two periods, whole, on a chart of its width
    await page.setViewportSize({ width: 390, height: 900 });
    const onPhone = await bars(page);
    expect(onPhone.map(({ from, to, title }) => ({ from, to, title }))).toEqual(
      afterUseCase1.map(({ from, to, title }) => ({ from, to, title })),
    );
    const phoneChart = await page.locator('.chart-narrow').evaluate((el) => [el.scrollWidth, el.clientWidth]);
    expect(phoneChart[0]).toBeLessThanOrEqual(phoneChart[1] ?? 0); // no scrolling needed
    await checkPage(page, 'unit-use-case-1');

    // use case 2: her move-out moves to 2023-07-31
    expect((await deliver(h.app, client, BU, RU, useCase2())).status).toBe('SUCCESS');
    await page.reload();
    expect((await bars(page)).map((bar) => [bar.from, bar.to])).toEqual([
      ['2018-05-01', '2022-05-31'],
      ['2022-06-01', '2023-07-31'],
    ]);

    // use case 3: she does not move in after all; Mustermann's period is the only one, then a gap
    expect((await deliver(h.app, client, BU, RU, useCase3())).status).toBe('SUCCESS');
    await page.reload();
    const afterUseCase3 = await bars(page);
    expect(afterUseCase3.map(({ role, from, to, open, label }) => ({ role, from, to, open, label }))).toEqual([
      {
        role: 'S-COR',
        from: '2018-05-01',
        to: '2022-05-31',
        open: false,
        label: ['Mustermann, Max', '2018-05-01 – 2022-05-31'],
      },
    ]);
    const gaps = await page
      .locator('.chart-wide g.gap')
      .evaluateAll((groups) =>
        groups.map((g) => [(g as unknown as SvgGroup).dataset.from, g.querySelector('title')?.textContent]),
      );
    expect(gaps).toEqual([['2022-06-01', 'No S-COR role 2022-06-01 – today']]);
    // the periods table says the same in text
    const periods = await page.getByRole('table', { name: 'Periods' }).locator('tbody tr').allInnerTexts();
    expect(periods.map((row) => row.split('\t'))).toEqual([
      ['S-COR', '2018-05-01', '2022-05-31', 'Mustermann, Max', '12345611'],
    ]);
    // the history keeps Musterfrau's period, and who sent each change
    const history = page.locator('section', { has: page.getByRole('heading', { name: 'Change history' }) });
    await expect.poll(() => history.locator('tbody tr').count()).toBeGreaterThanOrEqual(5);
    expect(await history.textContent()).toContain('S-COR 2022-06-01 – 2023-07-31, partner 12345612');
    await checkPage(page, 'unit');
    await context.close();
  });

  it('opens a failed delivery and shows its message and body ("why did my delivery fail?")', async () => {
    expect((await deliver(h.app, client, BU, RU, useCase3())).status).toBe('FAIL');
    const { context, page } = await signedIn('support', OPS_PASSWORD);
    await page.getByRole('link', { name: 'Deliveries' }).click();
    await page.getByLabel('Status').selectOption('FAIL');
    await page.getByLabel('Client').fill('acme');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/status=FAIL/);
    const rows = page.locator('table.deliveries tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(MESSAGE.X1.message);
    await checkPage(page, 'deliveries');
    await rows.first().locator('a.mono').click();
    await page.waitForURL(/\/console\/deliveries\/[0-9a-f-]{36}$/);
    expect(await page.locator('.messages').textContent()).toContain(MESSAGE.X1.message);
    expect(await page.locator('.status').first().textContent()).toBe('FAIL');
    const body = JSON.parse((await page.locator('pre.body').textContent()) ?? '');
    expect(body.billingunit.residentialunit.roles[0]).toMatchObject({ change: 'DELETE', from: '2022-06-01' });
    await checkPage(page, 'delivery');
    await context.close();
  });

  it('revokes a leaked credential after confirmation; the API refuses it from then on', async () => {
    const leaked = basic('acme-leaked', 'leaked-secret-123');
    expect((await getRoles(h.app, leaked, BU, RU)).statusCode).not.toBe(401);
    const { context, page } = await signedIn('support', OPS_PASSWORD);
    await page.getByRole('link', { name: 'Clients' }).click();
    await checkPage(page, 'clients');
    await page.getByRole('link', { name: 'acme', exact: true }).click();
    await checkPage(page, 'client');
    await page.getByRole('link', { name: 'Revoke acme-leaked' }).click();
    await page.waitForURL(/\/revoke$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Revoke credential acme-leaked?');
    await checkPage(page, 'revoke-confirmation');
    await page.getByRole('button', { name: 'Revoke acme-leaked' }).click();
    await page.waitForURL(/\/console\/clients\/acme$/);
    expect(await page.getByRole('status').textContent()).toContain('Credential acme-leaked is revoked');
    expect(await page.locator('tr[data-credential="acme-leaked"] .state').textContent()).toMatch(/^revoked /);
    expect(await page.getByRole('link', { name: 'Revoke acme-leaked' }).count()).toBe(0);
    expect((await getRoles(h.app, leaked, BU, RU)).statusCode).toBe(401);
    expect((await getRoles(h.app, client, BU, RU)).statusCode).not.toBe(401);

    // a request without the CSRF token is refused, even with the session's cookie
    const withoutToken = await page.request.post(`${base}/console/sign-out`, { form: {}, maxRedirects: 0 });
    expect(withoutToken.status()).toBe(403);
    await page.goto(`${base}/console/units`);
    expect(new URL(page.url()).pathname).toBe('/console/units'); // still signed in

    // signing out ends the session: the pages ask for the sign-in again
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in\?signedOut=1$/);
    expect(await page.getByRole('status').textContent()).toBe('You are signed out.');
    await checkPage(page, 'sign-in');
    await page.goto(`${base}/console/clients`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await context.close();
  });

  it('shows a read-only operator everything, without a revoke button; a forged revoke is 403', async () => {
    const { context, page } = await signedIn('reader', READER_PASSWORD);
    await page.goto(`${base}/console/clients/acme`);
    expect(await page.locator('.who').textContent()).toContain('(read-only)');
    expect(await page.locator('tr[data-credential="acme-erp"] .state').textContent()).toBe('active');
    expect(await page.getByRole('link', { name: /^Revoke/ }).count()).toBe(0);
    // a revoke posted anyway, with the reader's own valid CSRF token
    const token = await page.locator('form.sign-out input[name="_csrf"]').getAttribute('value');
    const forged = await page.request.post(`${base}/console/clients/acme/credentials/acme-erp/revoke`, {
      form: { _csrf: token ?? '' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect((await getRoles(h.app, client, BU, RU)).statusCode).not.toBe(401);
    await page.goto(`${base}/console/units?billingUnit=${BU}`);
    await checkPage(page, 'units-of-billing-unit');
    await page.goto(`${base}/console/no-such-page`);
    await checkPage(page, 'not-found');
    await context.close();
  });

  it('checked every page', () => {
    expect([...checkedPages].sort()).toEqual([
      'client',
      'clients',
      'deliveries',
      'delivery',
      'not-found',
      'revoke-confirmation',
      'sign-in',
      'unit',
      'unit-open-end',
      'unit-use-case-1',
      'units',
      'units-of-billing-unit',
    ]);
  });
});
