import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

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
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
