import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deliveryBodySchema } from '../../src/domain/delivery-schema.js';
import {
  acceptedSchema,
  currentRolesSchema,
  deliveryResultSchema,
  errorEnvelopeSchema,
} from '../../src/domain/response-schema.js';
import { generateOpenApiDocument } from '../../src/http/openapi-document.js';
import { REQUEST_EXAMPLES, RESPONSE_EXAMPLES } from '../../src/http/openapi-examples.js';

const committed = () => parse(readFileSync(new URL('../../openapi/on-site-roles.v1.yaml', import.meta.url), 'utf8'));

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
    ]);
    const e1 = document.paths[`${base}/residentialunits/{ru}/on-site-roles`].post;
    expect(Object.keys(e1.responses).sort()).toEqual(['202', '400', '401', '403', '413', '415', '429', '500', '503']);
    expect(document.security).toEqual([{ basicAuth: [] }]);
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
});
