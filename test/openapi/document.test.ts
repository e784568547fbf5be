import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deliveryBodySchema } from '../../src/domain/delivery-schema.js';
import { DEFAULT_PROFILE } from '../../src/domain/process-delivery.js';
import { profileNamed } from '../../src/domain/profiles.js';
import {
  acceptedSchema,
  currentRolesSchema,
  deliveryResultSchema,
  errorEnvelopeSchema,
} from '../../src/domain/response-schema.js';
import { generateOpenApiDocument } from '../../src/http/openapi-document.js';
import {
  BILLING_RECIPIENT_REQUEST_EXAMPLES,
  REQUEST_EXAMPLES,
  RESPONSE_EXAMPLES,
} from '../../src/http/openapi-examples.js';
import { HTTP_ERROR, KALO, MESSAGE, type RuleId, SCHEMA_KEY } from '../support/spec.js';

const committed = () => parse(readFileSync(new URL('../../openapi/on-site-roles.v1.yaml', import.meta.url), 'utf8'));

// biome-ignore lint/suspicious/noExplicitAny: a parsed OpenAPI document is walked freely
type Json = any;

/** Every operation of the document. */
const operations = (document: Json): { path: string; method: string; operation: Json }[] =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, operation]) => ({ path, method, operation })),
  );

/** Every answer of every operation. */
const answers = (document: Json): { operation: Json; status: string; response: Json }[] =>
  operations(document).flatMap(({ operation }) =>
    Object.entries(operation.responses).map(([status, response]) => ({ operation, status, response })),
  );

/** Markdown as a reader sees the text: backslash escapes resolved. */
const unescaped = (markdown: string) => markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');

const E1_PATH = '/arge/on-site-roles/v1/billingunits/{bu}/residentialunits/{ru}/on-site-roles';
const E3_PATH = '/arge/on-site-roles/v1/billingunits/{bu}/on-site-roles/data-delivery/{dataDeliveryId}';

describe('the OpenAPI document (openapi/on-site-roles.v1.yaml)', () => {
  it('is what the server generates from its zod schemas (run npm run openapi after changing them)', async () => {
    expect(committed()).toEqual(await generateOpenApiDocument());
  });

  it('is a valid OpenAPI 3 document', async () => {
    await expect(SwaggerParser.validate(committed())).resolves.toBeTruthy();
  });

  it('documents E1–E3 with Basic auth and every error answer as the error envelope', () => {
    const document = committed();
    const base = '/arge/on-site-roles/v1/billingunits/{bu}';
    expect(Object.keys(document.paths).sort()).toEqual([
      `${base}/on-site-roles/data-delivery/{dataDeliveryId}`,
      `${base}/residentialunits/{ru}/on-site-roles`,
      '/health',
      '/metrics',
      '/msc/v1/changes',
      '/msc/v1/uvi-recipients',
      '/ready',
    ]);
    const e1 = document.paths[`${base}/residentialunits/{ru}/on-site-roles`].post;
    expect(Object.keys(e1.responses).sort()).toEqual([
      '202',
      '400',
      '401',
      '403',
      '408',
      '409',
      '413',
      '415',
      '422',
      '429',
      '431',
      '500',
      '503',
    ]);
    for (const { operation, status, response } of answers(document)) {
      if (Number(status) < 400 || operation.operationId === 'getReady') continue;
      expect(response.content, `${operation.operationId} ${status}`).toEqual({
        'application/json': expect.objectContaining({ schema: { $ref: '#/components/schemas/ErrorEnvelope' } }),
      });
    }
    // Basic or, when an OIDC issuer is configured, a bearer token (spec 9.3)
    expect(document.security).toEqual([{ basicAuth: [] }, { bearerAuth: [] }]);
    expect(document.components.securitySchemes).toEqual({
      basicAuth: { type: 'http', scheme: 'basic', description: expect.stringContaining('on-site-roles') },
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: expect.stringContaining('OSR_OIDC_ISSUER'),
      },
      mscBasicAuth: { type: 'http', scheme: 'basic', description: expect.stringContaining('on-site-roles-msc') },
    });
    expect(Object.keys(e1.requestBody.content['application/json'].examples)).toEqual(
      expect.arrayContaining(['useCase1', 'useCase2', 'useCase3']),
    );
  });

  it('has examples that the same schemas accept (so the examples cannot drift from the behaviour)', () => {
    for (const { value } of Object.values(REQUEST_EXAMPLES)) deliveryBodySchema.parse(value);
    const schemaFor = (
      status: number,
      success: typeof acceptedSchema | typeof currentRolesSchema | typeof deliveryResultSchema,
    ) => (status < 300 ? success : errorEnvelopeSchema);
    const success = { post: acceptedSchema, getRoles: currentRolesSchema, getDelivery: deliveryResultSchema } as const;
    for (const [operation, byStatus] of Object.entries(RESPONSE_EXAMPLES)) {
      for (const [status, examples] of Object.entries(byStatus)) {
        for (const { value } of Object.values(examples)) {
          schemaFor(Number(status), success[operation as keyof typeof success]).parse(value);
        }
      }
    }
  });
  it('describes every operation and every answer, with the headers each answer carries', () => {
    const document = committed();
    for (const { path, method, operation } of operations(document)) {
      expect(operation.description, `${method} ${path}`).toMatch(/\w.{30,}/);
      expect(operation.summary, `${method} ${path}`).toMatch(/\S/);
    }
    for (const { operation, status, response } of answers(document)) {
      const where = `${operation.operationId} ${status}`;
      expect(response.description, where).toMatch(/\S/);
      expect(response.description, where).not.toBe('Default Response');
      expect(response.headers?.['X-Request-Id'], where).toMatchObject({ required: true, schema: { type: 'string' } });
      const required = Object.entries(response.headers)
        .filter(([, header]) => (header as Json).required)
        .map(([name]) => name)
        .sort();
      const expected = {
        202: ['Location', 'X-Request-Id'],
        401: ['WWW-Authenticate', 'X-Request-Id'],
        429: ['Retry-After', 'X-Request-Id'],
        503: operation.operationId === 'getReady' ? ['X-Request-Id'] : ['Retry-After', 'X-Request-Id'],
        // E2's weak tag, on its answer and on the 304 of a conditional request.
        ...(operation.operationId === 'getCurrentRoles'
          ? { 200: ['ETag', 'X-Request-Id'], 304: ['ETag', 'X-Request-Id'] }
          : {}),
      }[status] ?? ['X-Request-Id'];
      expect(required, where).toEqual(expected);
    }
    const e1 = document.paths[E1_PATH].post;
    expect(e1.responses['401'].headers['WWW-Authenticate'].schema.enum).toEqual([
      'Basic realm="on-site-roles"',
      'Bearer realm="on-site-roles"',
      'Bearer realm="on-site-roles", error="invalid_token"',
    ]);
    expect(e1.responses['415'].headers['Accept-Encoding']).toMatchObject({ schema: { enum: ['identity'] } });
  });

  it('gives {bu}, {ru} and {dataDeliveryId} the formats of spec section 1, as documentation only', () => {
    const document = committed();
    const parameters = (operation: Json) =>
      Object.fromEntries(operation.parameters.filter((p: Json) => p.in === 'path').map((p: Json) => [p.name, p]));
    const e1 = parameters(document.paths[E1_PATH].post);
    const e2 = parameters(document.paths[E1_PATH].get);
    const e3 = parameters(document.paths[E3_PATH].get);
    for (const bu of [e1.bu, e2.bu, e3.bu]) {
      expect(bu.schema).toEqual({ type: 'string', pattern: '^(\\d{6}|099\\d{6})$' });
      expect(bu.description).toContain('D1');
    }
    for (const ru of [e1.ru, e2.ru]) {
      expect(ru.schema).toEqual({ type: 'string', pattern: '^\\d{1,4}$' });
      expect(ru.description).toContain('D2');
    }
    expect(e3.dataDeliveryId.schema).toMatchObject({ type: 'string', format: 'uuid' });
    const uuid = new RegExp(e3.dataDeliveryId.schema.pattern);
    expect(uuid.test('CCBE102E-169f-4160-bba1-197e53aa0b99')).toBe(true);
    expect(uuid.test('ccbe102e-169f-4160-bba1-197e53aa0b9')).toBe(false);
  });

  it('lists every message of spec sections 4–6 with its key, exact text and when it is sent', () => {
    const document = committed();
    const catalogue = document['x-osr-messages'];
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(MESSAGE).sort());
    const description = (path: string, method: string) => unescaped(document.paths[path][method].description);
    for (const [id, { key, message }] of Object.entries(MESSAGE)) {
      expect(catalogue[id], id).toMatchObject({ key, message, when: expect.stringMatching(/\w.{20,}/) });
      expect(catalogue[id].list, id).toMatch(/^(messages|roleMessages|partnerMessages)$/);
      // and in a table a reader finds at the operation that answers with it
      const at = id.startsWith('OSR-')
        ? description(E1_PATH, 'post')
        : ['UNIT_NOT_FOUND', 'NO_ROLES'].includes(id)
          ? description(E1_PATH, 'get')
          : description(E3_PATH, 'get');
      expect(at, id).toContain(`| ${id} | ${key} | ${message} |`);
    }
    for (const id of ['D1', 'D2'] satisfies RuleId[]) {
      expect(description(E1_PATH, 'get')).toContain(`| ${id} | ${KALO} | ${MESSAGE[id].message} |`);
    }
  });

  it('lists every HTTP-level answer of spec sections 6 and 7 with its status, key and text', () => {
    const document = committed();
    const rows = document['x-osr-http-errors'];
    const info = unescaped(document.info.description);
    for (const { key, message } of Object.values(HTTP_ERROR)) {
      const status = Number(key.slice('OSR-'.length));
      expect(rows).toContainEqual({ status, key, message, when: expect.stringMatching(/\w.{20,}/) });
      expect(info).toContain(`| ${status} | ${key} | ${message} |`);
    }
    expect(rows).toContainEqual({ status: 400, key: SCHEMA_KEY, message: null, when: expect.stringMatching(/\S/) });
    expect(rows.map((row: Json) => row.status)).toEqual([...rows.map((row: Json) => row.status)].sort());
    expect(info).toContain('HTTP Basic');
  });

  it('documents /msc/v1 as a part of its own: tag msc, operator accounts (mscBasicAuth), the operators’ challenge', () => {
    const document = committed();
    const msc = operations(document).filter(({ path }) => path.startsWith('/msc/v1/'));
    expect(msc.map(({ operation }) => operation.operationId)).toContain('getUviRecipients');
    for (const { path, method, operation } of msc) {
      const where = `${method} ${path}`;
      expect(operation.tags, where).toEqual(['msc']);
      expect(operation.security, where).toEqual([{ mscBasicAuth: [] }]);
      expect(operation.responses['401'].headers['WWW-Authenticate'].schema.enum, where).toEqual([
        'Basic realm="on-site-roles-msc"',
      ]);
    }
    // and nothing else is in it
    for (const { path, operation } of operations(document).filter(({ path }) => !path.startsWith('/msc/v1/'))) {
      expect(operation.tags, path).not.toContain('msc');
      expect(JSON.stringify(operation.security ?? null), path).not.toContain('mscBasicAuth');
    }
    expect(document.tags).toContainEqual({ name: 'msc', description: expect.stringContaining('osr operator add') });
    expect(unescaped(document.info.description)).toContain('WWW-Authenticate: Basic realm="on-site-roles-msc"');
    const uvi = document.paths['/msc/v1/uvi-recipients'].get;
    expect(Object.keys(uvi.responses).sort()).toEqual(['200', '400', '401', '408', '429', '431', '500', '503']);
    const query = Object.fromEntries(
      uvi.parameters.filter((p: Json) => p.in === 'query').map((p: Json) => [p.name, p]),
    );
    expect(Object.keys(query)).toEqual(['month', 'billingUnit', 'after', 'limit']);
    expect(query.month).toMatchObject({ required: true, description: expect.stringContaining('YYYY-MM') });
    expect(query.limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 5000, default: 500 });
  });

  it('documents /health, /ready and /metrics outside authentication', () => {
    const document = committed();
    for (const path of ['/health', '/ready', '/metrics']) {
      expect(document.paths[path].get).toMatchObject({ security: [], tags: ['operations'] });
    }
    expect(Object.keys(document.paths['/ready'].get.responses)).toEqual(['200', '408', '431', '503']);
    expect(document.paths['/metrics'].get.responses['200'].content).toEqual({
      'text/plain': { schema: { type: 'string' } },
    });
  });

  it('describes the profile it is served under (kalo): S-COR only, section 8 never sent by it', () => {
    const document = committed();
    const info = unescaped(document.info.description);
    expect(info).toContain('**Profile `kalo`.** This server processes `S-COR` roles only');
    expect(info).toContain('OSR_PROFILE=arge');
    const when = (id: RuleId) => unescaped(document['x-osr-messages'][id].when);
    expect(when('NO_ROLES')).toBe(
      'The residential unit is known but has no role of a type this server processes (`S-COR`) on record.',
    );
    expect(when('D8')).toContain('(`S-COR`)');
    expect(when('R1')).toContain('(only `S-COR`)');
    for (const id of ['BR-I1', 'BR-U1', 'BR-U2', 'BR-X1', 'BR-X2', 'BR-X3', 'BR-T1', 'BR-T2'] satisfies RuleId[]) {
      expect(when(id), id).toMatch(/this server runs `kalo` and never sends it\.$/);
    }
    expect(Object.keys(document.paths[E1_PATH].post.requestBody.content['application/json'].examples)).not.toContain(
      'moveOutVacancy',
    );
  });

  it('under OSR_PROFILE=arge, describes S-COR, S-BIR and S-BVA and shows the billing-recipient examples', async () => {
    const document = (await generateOpenApiDocument(undefined, profileNamed('arge'))) as Json;
    const info = unescaped(document.info.description);
    expect(info).toMatch(/^Resident changes \(S-COR roles\) and billing recipients \(S-BIR and S-BVA roles\)/);
    expect(info).toContain('**Profile `arge`.** This server processes `S-COR`, `S-BIR` and `S-BVA` roles');
    for (const key of ['OSR-2003', 'OSR-2004', 'OSR-2005']) expect(info).toContain(key);
    const when = (id: RuleId) => unescaped(document['x-osr-messages'][id].when);
    expect(when('NO_ROLES')).toBe(
      'The residential unit is known but has no role of a type this server processes (`S-COR`, `S-BIR` and `S-BVA`) on record.',
    );
    expect(when('R1')).toContain('(only `S-COR`, `S-BIR` and `S-BVA`)');
    expect(when('BR-X3')).toBe('DELETE of S-BIR/S-BVA: it is the unit’s only billing-recipient role.');
    expect(JSON.stringify(document['x-osr-messages'])).not.toContain('never sends');
    const e2 = unescaped(document.paths[E1_PATH].get.description);
    expect(e2).toContain('current roles of the types this server processes (`S-COR`, `S-BIR` and `S-BVA`;');
    const e3 = unescaped(document.paths[E3_PATH].get.description);
    expect(e3).toContain('**Billing recipients `S-BIR`/`S-BVA` (section 8, profile `arge`)**');
    expect(e3).toContain('the billing-recipient timeline is checked (8.4)');
    for (const [id, { key, message }] of Object.entries(MESSAGE).filter(([id]) => id.startsWith('BR-'))) {
      expect(e3, id).toContain(`| ${id} | ${key} | ${message} |`);
    }
    const examples = document.paths[E1_PATH].post.requestBody.content['application/json'].examples;
    expect(Object.keys(examples)).toEqual(expect.arrayContaining(['useCase1', 'billingRecipient', 'moveOutVacancy']));
    for (const { value } of Object.values(BILLING_RECIPIENT_REQUEST_EXAMPLES)) deliveryBodySchema.parse(value);
    expect(examples.moveOutVacancy.value.billingunit.residentialunit.roles.map((r: Json) => r.role)).toEqual([
      'S-BIR',
      'S-BVA',
    ]);
    await expect(SwaggerParser.validate(document)).resolves.toBeTruthy();
  });

  it('the README quotes every billing-recipient message (8.3, 8.4) exactly, with its key', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `OSR-'));
    const code = (text: string) => (text.includes('`') ? `\`\`${text}\`\`` : text);
    for (const id of ['BR-I1', 'BR-U1', 'BR-X1', 'BR-X3', 'BR-T1', 'BR-T2'] satisfies RuleId[]) {
      const { key, message } = MESSAGE[id];
      expect(rows, id).toContainEqual(expect.stringContaining(`| \`${key}\` | ${code(message)} |`));
    }
  });

  it('shows the vendor key the server is configured with', async () => {
    const document = (await generateOpenApiDocument(undefined, { ...DEFAULT_PROFILE, vendorKey: 'OSR-ACME' })) as Json;
    expect(document['x-osr-messages'].D1).toMatchObject({ key: 'OSR-ACME', message: MESSAGE.D1.message });
    expect(document['x-osr-messages'].D5.key).toBe('OSR-2001');
    expect(unescaped(document.paths[E3_PATH].get.description)).toContain(`| X1 | OSR-ACME | ${MESSAGE.X1.message} |`);
  });
});
