import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ProcessingProfile } from '../domain/profiles.js';
import {
  errorEnvelopeSchema,
  partnerMessageSchema,
  plainMessageSchema,
  roleMessageSchema,
} from '../domain/response-schema.js';
import { BILLING_RECIPIENT_REQUEST_EXAMPLES, REQUEST_EXAMPLES, RESPONSE_EXAMPLES } from './openapi-examples.js';
import {
  httpErrorRows,
  httpErrorTable,
  messageRows,
  processedTypesText,
  takesBillingRecipients,
} from './openapi-messages.js';
import {
  completeMscOperation,
  isMscOperation,
  MSC_PARAGRAPH,
  MSC_SECURITY_SCHEME,
  MSC_SECURITY_SCHEME_NAME,
  MSC_TAG,
} from './openapi-msc.js';
import { OPERATIONAL_RESPONSES, type OperationId, operationDescriptions } from './openapi-operations.js';
import { isOperationId, PATH_PARAMETERS, responseDoc } from './openapi-responses.js';
import { MAX_WAIT_SECONDS } from './prefer-wait.js';

type Parameter = { in: string; name: string; description?: string; required?: boolean; schema?: object };
type Response = { description?: string; headers?: object; content?: Record<string, { examples?: unknown }> };
type Operation = {
  operationId?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { examples?: unknown }> };
  responses?: Record<string, Response>;
};
type OpenApiDocument = {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
  [extension: `x-${string}`]: unknown;
};

const OPERATION_EXAMPLES: Partial<Record<OperationId, keyof typeof RESPONSE_EXAMPLES>> = {
  submitDelivery: 'post',
  getCurrentRoles: 'getRoles',
  getDeliveryResult: 'getDelivery',
};

const REQUEST_ID_PARAMETER: Parameter = {
  in: 'header',
  name: 'X-Request-Id',
  required: false,
  description:
    'Your own id for this request (1–128 characters of `A–Z a–z 0–9 . _ : -`): echoed in the answer and carried ' +
    'by the server’s log lines; otherwise the server makes one.',
  schema: { type: 'string' },
};

/** E1's optional key for retrying safely (spec 9.2). */
const IDEMPOTENCY_KEY_PARAMETER: Parameter = {
  in: 'header',
  name: 'Idempotency-Key',
  required: false,
  description:
    'Your key for retrying this POST safely (spec 9.2): 1–255 characters `!`…`~`, optionally in double quotes, ' +
    'sent once; unique per request you mean, e.g. a UUID. Kept 24 hours (configurable) after the first request, ' +
    'per client. Malformed or sent twice: `400` with `path` `/headers/idempotency-key`.',
  schema: { type: 'string', minLength: 1, maxLength: 257 },
};

/** E3's optional wait for the result instead of polling (spec 9.1). */
const PREFER_WAIT_PARAMETER: Parameter = {
  in: 'header',
  name: 'Prefer',
  required: false,
  description:
    `\`wait=N\` (RFC 7240): while the delivery is \`PENDING\`, hold the answer until it is processed or N seconds ` +
    `have passed (N: \`^[1-9][0-9]*$\`, more than ${MAX_WAIT_SECONDS} counts as ${MAX_WAIT_SECONDS}). Any other ` +
    'value of `wait`, and every other preference, is ignored: answered at once.',
  schema: { type: 'string', example: 'wait=30' },
};

/** E2's conditional request: the `ETag` of an earlier answer. */
const IF_NONE_MATCH_PARAMETER: Parameter = {
  in: 'header',
  name: 'If-None-Match',
  required: false,
  description:
    'The `ETag` of an earlier answer for this unit (RFC 9110, weak comparison; `*` matches any): `304` without a ' +
    'body while the roles, partners and pmnumbers are still the same.',
  schema: { type: 'string' },
};

/**
 * Schemas shown once under components/schemas and referenced by name, instead of repeated inline
 * in every answer (a registry of the document's own: zod's global one is left alone).
 */
const namedSchemas = z.registry<{ id: string }>();
namedSchemas.add(errorEnvelopeSchema, { id: 'ErrorEnvelope' });
namedSchemas.add(plainMessageSchema, { id: 'Message' });
namedSchemas.add(roleMessageSchema, { id: 'RoleMessage' });
namedSchemas.add(partnerMessageSchema, { id: 'PartnerMessage' });
const jsonSchemaTransform = createJsonSchemaTransform({ schemaRegistry: namedSchemas });
const addNamedSchemas = createJsonSchemaTransformObject({ schemaRegistry: namedSchemas });

/**
 * Per route, before Fastify's swagger plugin turns it into an operation: the answers any request
 * may get (408, 431: Node's HTTP layer and the deadlines, not the route) and the documented answers
 * of the operational endpoints, which have no response schemas of their own. Documentation only:
 * the routes' own schemas, which validate and serialise, are not changed.
 */
const documentRoute: typeof jsonSchemaTransform = (input) => {
  const schema = input.schema as { hide?: boolean; operationId?: string; response?: object } | undefined;
  if (!schema || schema.hide) return jsonSchemaTransform(input);
  const response = {
    ...schema.response,
    ...(schema.operationId ? OPERATIONAL_RESPONSES[schema.operationId] : {}),
    408: errorEnvelopeSchema,
    431: errorEnvelopeSchema,
  };
  return jsonSchemaTransform({ ...input, schema: { ...input.schema, response } });
};

/**
 * The whole document, after the operations were generated: each operation's description and
 * examples, each answer's description and headers, the path parameters' formats, and the message
 * catalogue as data. A route answer without a description fails the generation (and so the tests).
 */
function completeDocument(document: OpenApiDocument, profile: ProcessingProfile): OpenApiDocument {
  const descriptions = operationDescriptions(profile);
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const id = operation.operationId;
      // The metering company's part (/msc/v1, src/http/openapi-msc.ts) is documented on its own.
      if (isMscOperation(id)) {
        completeMscOperation(path, id, operation, REQUEST_ID_PARAMETER);
        continue;
      }
      if (!isOperationId(id)) throw new Error(`${path}: operation ${id} has no documentation`);
      operation.description = descriptions[id];
      for (const parameter of operation.parameters ?? []) {
        const documented = parameter.in === 'path' ? PATH_PARAMETERS[parameter.name] : undefined;
        if (!documented) continue;
        parameter.description = documented.description;
        parameter.schema = { ...parameter.schema, ...documented.schema };
      }
      operation.parameters = [...(operation.parameters ?? []), REQUEST_ID_PARAMETER];
      if (id === 'submitDelivery') operation.parameters.push(IDEMPOTENCY_KEY_PARAMETER);
      if (id === 'getDeliveryResult') operation.parameters.push(PREFER_WAIT_PARAMETER);
      if (id === 'getCurrentRoles') operation.parameters.push(IF_NONE_MATCH_PARAMETER);
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const documented = responseDoc(id, Number(status));
        if (!documented) throw new Error(`${path}: answer ${status} of ${id} has no description`);
        response.description = documented.description;
        response.headers = documented.headers;
      }
      addExamples(operation, OPERATION_EXAMPLES[id], profile);
    }
  }
  document['x-osr-messages'] = Object.fromEntries(messageRows(profile).map(({ id, ...row }) => [id, row]));
  document['x-osr-http-errors'] = httpErrorRows();
  return document;
}

/**
 * The named schemas the operations use, directly or through each other (zod's transform emits an
 * input and an output variant of each; answers use only the output ones).
 */
function withoutUnusedSchemas(document: OpenApiDocument): OpenApiDocument {
  const schemas = document.components?.schemas ?? {};
  const referencedBy = (value: unknown) =>
    [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1] as string);
  const used = new Set<string>();
  const pending = referencedBy(document.paths);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name)) continue;
    used.add(name);
    pending.push(...referencedBy(schemas[name]));
  }
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
  return document;
}

function addExamples(
  operation: Operation,
  key: keyof typeof RESPONSE_EXAMPLES | undefined,
  profile: ProcessingProfile,
): void {
  if (!key) return;
  const json = operation.requestBody?.content?.['application/json'];
  if (json)
    json.examples = takesBillingRecipients(profile)
      ? { ...REQUEST_EXAMPLES, ...BILLING_RECIPIENT_REQUEST_EXAMPLES }
      : REQUEST_EXAMPLES;
  for (const [status, examples] of Object.entries(RESPONSE_EXAMPLES[key])) {
    const content = operation.responses?.[status]?.content?.['application/json'];
    if (content) content.examples = examples;
  }
}

/** What the deployment's profile (spec 8.1) processes: the document describes the server that serves it. */
const profileParagraph = (profile: ProcessingProfile): string =>
  takesBillingRecipients(profile)
    ? `**Profile \`${profile.name}\`.** This server processes ${processedTypesText(profile)} roles (spec sections ` +
      '1–8): besides the residents (`S-COR`), the billing recipients `S-BIR` (who gets the unit’s individual bill, ' +
      'normally the tenant) and `S-BVA` (who gets it while the unit stands empty, normally the owner). Together they ' +
      'must cover time without overlap (`OSR-2003`) and without gap (`OSR-2004`); changes on or before the billing ' +
      'unit’s closed-until date are refused (`OSR-2005`). Every other role type gets R1 and is skipped.'
    : `**Profile \`${profile.name}\`.** This server processes ${processedTypesText(profile)} roles only (spec ` +
      'sections 1–7); every other role type, also the billing recipients `S-BIR` and `S-BVA`, gets R1 and is ' +
      'skipped. Servers run with `OSR_PROFILE=arge` also take the billing recipients (section 8).';

const apiDescription = (basePath: string, profile: ProcessingProfile): string =>
  [
    (takesBillingRecipients(profile)
      ? 'Resident changes (S-COR roles) and billing recipients (S-BIR and S-BVA roles) '
      : 'Resident changes (S-COR roles) ') +
      'from property-management ERP systems to the metering service company: ' +
      `submit a data delivery (E1), poll its result (E3), read a residential unit’s current roles (E2), below \`${basePath}\`.`,
    profileParagraph(profile),
    '**Authentication: HTTP Basic** (`Authorization: Basic <base64 of username:password>`) on E1–E3. A missing or ' +
      'wrong credential gets `401` with `WWW-Authenticate: Basic realm="on-site-roles"`. A credential belongs to one ' +
      'client and sees only that client’s billing units and deliveries (another client’s are indistinguishable from ' +
      'unknown ones); a read-only credential cannot submit (`403`). `/health`, `/ready`, `/metrics`, `/docs` and ' +
      '`/openapi.json` need no credential.',
    '**Bearer tokens (OpenID Connect)**, when the server is configured with an issuer (`OSR_OIDC_ISSUER`, ' +
      '`OSR_OIDC_AUDIENCE`): `Authorization: Bearer <JWT>` instead of Basic. The token must be signed by the issuer ' +
      'with RS256, PS256 or ES256 and carry `exp`, `iss` (the issuer) and `aud` (containing the audience); 60 s of ' +
      'clock skew are tolerated. Its `azp` claim (else `client_id`) names the token client, which the operator maps ' +
      'to a client (`osr oidc add`), read-only or not. A refused token gets `401` with a second challenge, ' +
      '`WWW-Authenticate: Bearer realm="on-site-roles", error="invalid_token"`; when the token’s key is not cached ' +
      'and the issuer cannot be reached, `503`.',
    MSC_PARAGRAPH,
    '**Request ids.** Every response carries `X-Request-Id`: yours when you send a sane one, else a new one; quote ' +
      'it when asking about a request.',
    '**Errors.** Every 4xx/5xx answer (except `/ready`’s `503`) is the error envelope ' +
      '`{"status": "FAIL", "messages": […] | null, "roleMessages": […] | null, "partnerMessages": […] | null}`, ' +
      'an empty list being `null`. The HTTP-level answers:',
    httpErrorTable(httpErrorRows()),
    'The messages of the synchronous checks are listed at E1, those of processing at E3, and E2’s at E2. As data, ' +
      '`x-osr-messages` (by rule id) and `x-osr-http-errors` hold all of them.',
  ].join('\n\n');

/**
 * The OpenAPI document is generated from the routes' zod schemas (the same ones that validate
 * requests and serialise responses) and the documentation in src/http/openapi-*.ts. Registered
 * first: it documents the routes registered after it.
 */
export async function documentRoutes(
  app: FastifyInstance,
  { basePath, profile }: { basePath: string; profile: ProcessingProfile },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'on-site-roles (ARGE/bved) v1 — MSC side',
        version: '1.0.0',
        description: apiDescription(basePath, profile),
      },
      components: {
        securitySchemes: {
          basicAuth: { type: 'http', scheme: 'basic', description: 'HTTP Basic, realm `on-site-roles`.' },
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'A JWT of the configured OpenID Connect issuer (RS256, PS256 or ES256; `exp`, `iss`, `aud` required), ' +
              'realm `on-site-roles`; only when the server is configured with `OSR_OIDC_ISSUER`. The token’s `azp` ' +
              '(else `client_id`) must be mapped to a client (`osr oidc add`).',
          },
          [MSC_SECURITY_SCHEME_NAME]: MSC_SECURITY_SCHEME,
        },
      },
      security: [{ basicAuth: [] }, { bearerAuth: [] }],
      tags: [
        { name: 'on-site-roles', description: `E1–E3, below ${basePath}` },
        { name: 'operations', description: 'For load balancers and operators; outside authentication and rate limits' },
        MSC_TAG,
      ],
    },
    transform: documentRoute,
    transformObject: (document) =>
      withoutUnusedSchemas(completeDocument(addNamedSchemas(document) as OpenApiDocument, profile)),
  });
}

/** The document at /openapi.json, rendered at /docs (Swagger UI); neither is in the document. */
export async function serveDocumentation(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
