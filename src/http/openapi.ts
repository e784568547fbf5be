import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { REQUEST_EXAMPLES, RESPONSE_EXAMPLES } from './openapi-examples.js';

type Operation = {
  operationId?: string;
  requestBody?: { content?: Record<string, { examples?: unknown }> };
  responses?: Record<string, { content?: Record<string, { examples?: unknown }> }>;
};
type OpenApiDocument = { paths?: Record<string, Record<string, Operation>> };

const OPERATION_EXAMPLES: Record<string, keyof typeof RESPONSE_EXAMPLES> = {
  submitDelivery: 'post',
  getCurrentRoles: 'getRoles',
  getDeliveryResult: 'getDelivery',
};

/** Adds the request and response examples to each operation of the generated document. */
function withExamples(document: OpenApiDocument): OpenApiDocument {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const key = operation.operationId ? OPERATION_EXAMPLES[operation.operationId] : undefined;
      if (!key) continue;
      const json = operation.requestBody?.content?.['application/json'];
      if (json) json.examples = REQUEST_EXAMPLES;
      for (const [status, examples] of Object.entries(RESPONSE_EXAMPLES[key])) {
        const content = operation.responses?.[status]?.content?.['application/json'];
        if (content) content.examples = examples;
      }
    }
  }
  return document;
}

/**
 * The OpenAPI document is generated from the routes' zod schemas (the same ones that validate
 * requests and serialise responses). Served at /openapi.json, rendered at /docs.
 * Must be registered before the routes.
 */
export async function registerOpenApi(app: FastifyInstance, basePath: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'on-site-roles (ARGE/bved) v1 — MSC side',
        version: '1.0.0',
        description:
          'Resident changes (S-COR roles) from property-management ERP systems. POST a data delivery, ' +
          'poll its result, read the current roles. Every 4xx/5xx answer is the error envelope.',
      },
      components: { securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } } },
      security: [{ basicAuth: [] }],
      tags: [{ name: 'on-site-roles', description: `Below ${basePath}` }],
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => withExamples((document as { openapiObject: OpenApiDocument }).openapiObject),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
