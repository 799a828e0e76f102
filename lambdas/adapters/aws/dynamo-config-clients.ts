import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors';
import { ClientIdSchema, type Client, type Schedule } from '../../domain/model';
import { ROLES, SYSTEM_ACTOR, type PrincipalGrant, type Role } from '../../ports/config-store';
import { scheduleCreation } from './dynamo-config-schedules';
import { CLIENT_SK, clientPk, entityOf, plain, type ConfigTable } from './dynamo-config-table';
import { cancellationCodes, writeIfConditionsHold, type Item } from './dynamo-toolkit';

const StoredClientSchema = z.object({
  clientId: ClientIdSchema,
  name: z.string(),
  timezone: z.string(),
  dailyScheduleId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

// Mappings recorded before roles existed carry none: they keep the admin rights they had.
const StoredPrincipalSchema = z.object({ clientIds: z.array(z.string()), role: z.enum(ROLES).default('admin') });

/**
 * A role's mapping is keyed without the role's path: a caller's session ARN
 * (`arn:aws:sts::<account>:assumed-role/<name>/<session>`) never carries it, while the role ARN
 * DevOps copies from IAM may (`arn:aws:iam::<account>:role/teams/billing/<name>`). A role's name
 * is unique in its account whatever its path, so both forms name the same role.
 */
const principalPk = (principalArn: string): string => `PRINCIPAL#${principalArn.replace(/^(arn:[^:]+:iam::\d{12}:role\/)(?:[^/]+\/)+([^/]+)$/, '$1$2')}`;
const PRINCIPAL_SK = 'PRINCIPAL';

/** The clients (tenants) and the IAM principals that may act for them. */
export class DynamoClients {
  constructor(private readonly table: ConfigTable) {}

  async getClient(clientId: string): Promise<Client | undefined> {
    const item = await this.table.get(clientPk(clientId), CLIENT_SK);
    return item ? StoredClientSchema.parse(entityOf(item)) : undefined;
  }

  async createClient(client: Client, dailySchedule: Schedule, savedBy = SYSTEM_ACTOR): Promise<boolean> {
    try {
      await this.table.transact([
        { Put: { TableName: this.table.name, Item: clientItem(client), ConditionExpression: 'attribute_not_exists(pk)' } },
        ...scheduleCreation(this.table.name, dailySchedule, savedBy),
      ]);
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async updateClient(client: Client): Promise<void> {
    const updated = await writeIfConditionsHold(() =>
      this.table.send(new PutCommand({ TableName: this.table.name, Item: clientItem(client), ConditionExpression: 'attribute_exists(pk)' })),
    );
    if (!updated) throw new NotFoundError(`client ${client.clientId} not found`);
  }

  async listClients(): Promise<Client[]> {
    const clients = (await this.table.scanAll('CLIENT', false)).map((item) => StoredClientSchema.parse(entityOf(item)));
    return clients.sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
  }

  async getPrincipal(principalArn: string): Promise<PrincipalGrant | undefined> {
    const item = await this.table.get(principalPk(principalArn), PRINCIPAL_SK);
    // The schema keeps only the grant: the item's keys and principalArn are dropped.
    return item ? StoredPrincipalSchema.parse(item) : undefined;
  }

  async putPrincipalClients(principalArn: string, clientIds: readonly string[], role: Role): Promise<void> {
    await this.table.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { pk: principalPk(principalArn), sk: PRINCIPAL_SK, entity: 'PRINCIPAL', principalArn, clientIds: [...clientIds], role },
      }),
    );
  }

  async deletePrincipal(principalArn: string): Promise<void> {
    await this.table.send(new DeleteCommand({ TableName: this.table.name, Key: { pk: principalPk(principalArn), sk: PRINCIPAL_SK } }));
  }
}

function clientItem(client: Client): Item {
  return { ...plain(client), pk: clientPk(client.clientId), sk: CLIENT_SK, entity: 'CLIENT' };
}
