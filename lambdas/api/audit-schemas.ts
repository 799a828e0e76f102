import { z } from 'zod';
import { decimalIntegerSchema, InstantSchema, responseComponent, SchedulePathSchema, StoredScheduleShape } from './schemas';

const PageShape = {
  limit: decimalIntegerSchema(1, 1000).default(100).describe('Entries per page, 1..1000, in decimal digits.'),
  nextToken: z.string().min(1).max(4096).optional().describe('The nextToken of the previous page.'),
};
const NextToken = z.string().optional().describe('Pass as nextToken for the next page; absent on the last page.');

export const AuditQuerySchema = z
  .object({
    from: InstantSchema.optional().describe('Only changes at or after this instant.'),
    to: InstantSchema.optional().describe('Only changes at or before this instant.'),
    ...PageShape,
  })
  .superRefine((query, context) => {
    if (query.from !== undefined && query.to !== undefined && Date.parse(query.to) < Date.parse(query.from)) {
      context.addIssue({ code: 'custom', path: ['to'], message: 'at or after from' });
    }
  });

export const AuditPageSchema = responseComponent(
  'AuditPage',
  z.object({
    items: z.array(
      z.object({
        at: InstantSchema,
        actor: z.string().describe('The principal that made the change (locally admin-token or api-token:<client>), never a token.'),
        action: z.string().describe('The route’s operation, e.g. replaceSchedule, reprocessRun.'),
        target: z.object({ type: z.string().describe('client, schedule, run, ratePlan, …'), id: z.string() }),
        details: z.record(z.string(), z.unknown()).describe('What changed: the request body without secrets, and the resulting version or status.'),
      }),
    ),
    nextToken: NextToken,
  }),
  'The audit trail of a client, newest first.',
);

export const VersionListQuerySchema = z.object(PageShape);
export const VersionPathSchema = SchedulePathSchema.extend({ version: decimalIntegerSchema(1, 999_999) });

export const ScheduleVersionListSchema = responseComponent(
  'ScheduleVersionList',
  z.object({
    items: z.array(z.object({ version: z.number().int().positive(), savedAt: InstantSchema, savedBy: z.string().describe('The principal that saved it.') })),
    nextToken: NextToken,
  }),
);

export const ScheduleVersionSchema = responseComponent(
  'ScheduleVersion',
  z.object({ ...StoredScheduleShape, savedAt: InstantSchema, savedBy: z.string() }),
  'A schedule as it was saved at one version.',
);

