import { z } from 'zod';
import { PROCESSING_DATES } from '../domain/model';
import { API_ROUTES, leastRole, type ApiRoute, type RouteResponse } from './route-table';
import { requestComponents, responseComponents, type ComponentMeta } from './schemas';

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route table and its zod schemas
 * with zod's own JSON Schema conversion (OpenAPI 3.1 uses JSON Schema 2020-12 as it is).
 * lambdas/api/write-openapi.ts writes it to docs/openapi.json; a test keeps that file current.
 */
type JsonSchema = Record<string, unknown>;
type Registry = z.core.$ZodRegistry<ComponentMeta>;

const COMPONENT_REF = (id: string): string => `#/components/schemas/${id}`;

export function generateOpenApiDocument(routes: readonly ApiRoute[] = API_ROUTES): Record<string, unknown> {
  const requestSchemas = components(requestComponents, 'input');
  const responseSchemas = components(responseComponents, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Job Schedule Manager API',
      version: '1.0.0',
      description:
        'Clients, job schedules and their runs. Every error, from every route, is `{ "error": { "code", "message", "details": [...] } }`. ' +
        `A run’s processing date is from ${PROCESSING_DATES.first} to ${PROCESSING_DATES.last}. Bodies are JSON in UTF-8, sent with Content-Type: application/json. ` +
        'Deployed, API Gateway authorizes callers with IAM (SigV4); the local runtime takes `Authorization: Bearer <token>`. ' +
        'Roles, each including the ones before it: viewer, caller, operator, admin. Each operation names the least role it needs (`x-required-role`); ' +
        'a role below it answers 403 with code FORBIDDEN_ACTION.',
    },
    tags: [
      { name: 'Access', description: 'Who the credentials are and what their role lets them do.' },
      { name: 'Clients', description: 'Onboarding; every client gets a mandatory daily schedule.' },
      { name: 'Schedules', description: 'Job schedules, their calendars and a preview of occurrences.' },
      { name: 'Runs', description: 'Trigger, watch, reprocess and reset runs.' },
      { name: 'Ledger', description: 'Fix the cause, then reprocess: rate plans, accounts, usage and its suspense and sync-error queues, rerate requests, invoices.' },
    ],
    security: [{ sigv4: [] }, { bearer: [] }],
    paths,
    components: {
      schemas: { ...requestSchemas, ...responseSchemas },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (API Gateway IAM authorization); the principal is mapped to the clients it may act for and its role.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'Local runtime: ADMIN_TOKEN acts for every client as admin, each API_TOKENS token for its client with its role (token:clientId:role).',
        },
      },
    },
  };
}

/** The document as written to docs/openapi.json. */
export function renderOpenApiDocument(): string {
  return `${JSON.stringify(generateOpenApiDocument(), null, 2)}\n`;
}

function operation(route: ApiRoute): Record<string, unknown> {
  const parameters = [
    ...parametersOf(route.params, 'path'),
    ...(route.query ? parametersOf(route.query, 'query') : []),
    ...(route.headers ? parametersOf(route.headers, 'header') : []),
  ];
  const role = leastRole(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [route.description, `Needs the ${role} role or a higher one.`].filter(Boolean).join(' '),
    tags: [route.tag],
    'x-required-role': role,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaRef(route.body, requestComponents, 'input') } } } } : {}),
    responses: Object.fromEntries(Object.entries(route.responses).map(([status, response]) => [status, responseObject(response)])),
  };
}

function responseObject(response: RouteResponse): Record<string, unknown> {
  return {
    description: response.description,
    ...(response.headers
      ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
      : {}),
    ...(response.schema ? { content: { 'application/json': { schema: schemaRef(response.schema, responseComponents, 'output') } } } : {}),
  };
}

/**
 * A parameter is text on the wire; its schema's output says what that text must denote (a number
 * parameter: `type: integer`, which in a URL means plain decimal digits).
 */
function parametersOf(shape: z.ZodObject, location: 'path' | 'query' | 'header'): JsonSchema[] {
  return Object.entries(shape.shape).map(([name, schema]) => {
    const json = convert(schema as z.ZodType, 'output');
    const { description, ...rest } = json;
    return {
      name,
      in: location,
      required: location === 'path' || !(schema as z.ZodType).safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function schemaRef(schema: z.ZodType, registry: Registry, io: 'input' | 'output'): JsonSchema {
  const id = registry.get(schema)?.id;
  return id ? { $ref: COMPONENT_REF(id) } : convert(schema, io);
}

function components(registry: Registry, io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { io, uri: COMPONENT_REF, unrepresentable: 'any', override: overrideFor(io) });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, clean(schema as JsonSchema)]));
}

function convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return clean(z.toJSONSchema(schema, { io, unrepresentable: 'any', override: overrideFor(io) }) as JsonSchema);
}

/**
 * Descriptions given with `.describe()` live in zod's global registry, which a conversion over our
 * own registries does not read: copy them. A response object that zod would strip (not strict)
 * is open for new fields, as shared/API.md promises, so it must not say additionalProperties: false.
 */
function overrideFor(io: 'input' | 'output') {
  return (ctx: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }): void => {
    const description = z.globalRegistry.get(ctx.zodSchema)?.description;
    if (description && !ctx.jsonSchema.description) ctx.jsonSchema.description = description;
    const def = ctx.zodSchema._zod.def;
    if (io === 'output' && def.type === 'object' && !('catchall' in def && def.catchall) && ctx.jsonSchema.additionalProperties === false) {
      delete ctx.jsonSchema.additionalProperties;
    }
  };
}

function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}
