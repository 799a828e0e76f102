import { Duration } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption, type CfnTable, StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { AUDIT_TABLE, CONFIG_TABLE, LEDGER_TABLE, RUNS_TABLE, type TableDefinition } from '../../lambdas/adapters/aws/table-definitions';
import type { DataLifecycle } from '../config/stage-config';
import { acknowledgeWildcardAction, acknowledgeWildcardResource, nagArnOf } from '../nag';

/**
 * What the run store, batch store, item pages and schedule cursors send to the runs table
 * (lambdas/adapters/aws): no Scan, no stream reads, no table management. A transaction needs the
 * action of each of its parts (PutItem, UpdateItem), not an action of its own.
 */
const RUN_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'] as const;
/** Only deleting a schedule removes an item from the runs table (its scheduler cursor). */
const RUN_TABLE_DELETE = 'dynamodb:DeleteItem';
/** What DynamoDB asks of a caller's key permissions on a table under a customer-managed key (as CDK's table grants). */
const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] as const;

export interface StorageProps {
  /** Stage name, used in the encryption key's alias. */
  readonly stageName: string;
  /** Removal policy and deletion protection of the tables and their key. */
  readonly lifecycle: DataLifecycle;
}

/**
 * The system of record: the config, runs and ledger tables, from the definitions the local
 * runtime uses too.
 */
export class Storage extends Construct {
  readonly configTable: Table;
  readonly runsTable: Table;
  /** The billing ledger the job catalogue works on (accounts, usage, invoices). */
  readonly ledgerTable: Table;
  /** The audit trail: append-only for the API function (grantAuditAppend). */
  readonly auditTable: Table;
  readonly dataKey: Key;
  private readonly definitions = new Map<Table, TableDefinition>();

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { lifecycle } = props;

    // Billing data: a key of our own (about $1 a month) rather than the AWS-owned default gives a
    // key policy we control, a CloudTrail record of every use, and revoking or crypto-shredding a stage.
    this.dataKey = new Key(this, 'DataKey', {
      description: `Job Schedule Manager (${props.stageName}): DynamoDB tables at rest`,
      alias: `alias/job-schedule-manager/${props.stageName}/data`,
      enableKeyRotation: true,
      removalPolicy: lifecycle.removalPolicy,
      pendingWindow: lifecycle.deletionProtection ? Duration.days(30) : Duration.days(7),
    });

    this.configTable = this.createTable(CONFIG_TABLE, lifecycle);
    // Its stream carries the run-event outbox to the notifications dispatcher (filtered to OUTBOX# inserts).
    this.runsTable = this.createTable(RUNS_TABLE, lifecycle, StreamViewType.NEW_IMAGE);
    this.ledgerTable = this.createTable(LEDGER_TABLE, lifecycle);
    this.auditTable = this.createTable(AUDIT_TABLE, lifecycle);
  }

  /**
   * Append to and list the audit trail (the API function): PutItem and Query only, so no role of
   * this stack can update or delete a record.
   */
  grantAuditAppend(grantee: IGrantable & IConstruct): void {
    Grant.addToPrincipal({ grantee, actions: ['dynamodb:PutItem', 'dynamodb:Query'], resourceArns: [this.auditTable.tableArn] });
    this.dataKey.grantEncryptDecrypt(grantee);
  }

  /** Read and write both tables (the API: configuration and runs, and a deleted schedule's cursor). */
  grantReadWriteAll(grantee: IGrantable & IConstruct): void {
    this.configTable.grantReadWriteData(grantee);
    this.grantRunsTable(grantee, [...RUN_TABLE_ACTIONS, RUN_TABLE_DELETE]);
    this.acknowledgeGrantWildcards(grantee, [this.configTable, this.runsTable]);
  }

  /** Read/write the runs table, read the configuration (the orchestration steps and the worker). */
  grantRunWork(grantee: IGrantable & IConstruct): void {
    this.grantRunsTable(grantee, RUN_TABLE_ACTIONS);
    this.configTable.grantReadData(grantee);
    this.acknowledgeGrantWildcards(grantee, [this.configTable, this.runsTable]);
  }

  /** The runs table's actions that the adapters send, on the table and its indexes, with its key. */
  private grantRunsTable(grantee: IGrantable, actions: readonly string[]): void {
    this.runsTable.grant(grantee, ...actions);
    this.dataKey.grant(grantee, ...TABLE_KEY_ACTIONS);
  }

  /** Read the ledger (CollectWorkItems: the billing jobs' work items come from its indexes). */
  grantLedgerRead(grantee: IGrantable & IConstruct): void {
    this.ledgerTable.grantReadData(grantee);
    this.acknowledgeGrantWildcards(grantee, [this.ledgerTable]);
  }

  /** Read and write the ledger (the worker: rating, sync results, invoices). */
  grantLedgerReadWrite(grantee: IGrantable & IConstruct): void {
    this.ledgerTable.grantReadWriteData(grantee);
    this.acknowledgeGrantWildcards(grantee, [this.ledgerTable]);
  }

  /** The wildcards CDK's table grants contain, each with why it is as narrow as it can be. */
  private acknowledgeGrantWildcards(grantee: IConstruct, tables: readonly Table[]): void {
    for (const table of tables.filter((t) => (this.definitions.get(t)?.globalIndexes.length ?? 0) > 0)) {
      acknowledgeWildcardResource(
        grantee,
        `${nagArnOf(table.node.defaultChild as CfnTable)}/index/*`,
        `Queries on the global secondary indexes of ${table.node.id} (see table-definitions.ts); the wildcard covers only that table's own indexes.`,
      );
    }
    const keyReason =
      'CDK grant on the customer-managed table key: DynamoDB encrypts and re-encrypts table data keys on the caller\'s behalf (kms:GenerateDataKey*, kms:ReEncrypt*); the resource is this stage\'s one data key.';
    acknowledgeWildcardAction(grantee, 'kms:GenerateDataKey*', keyReason);
    acknowledgeWildcardAction(grantee, 'kms:ReEncrypt*', keyReason);
  }

  private createTable(definition: TableDefinition, lifecycle: DataLifecycle, stream?: StreamViewType): Table {
    const table = new Table(this, definition.id, {
      partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: definition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: lifecycle.deletionProtection,
      removalPolicy: lifecycle.removalPolicy,
      ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
      ...(stream ? { stream } : {}),
    });
    for (const index of definition.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        ...(index.sortKey ? { sortKey: { name: index.sortKey, type: AttributeType.STRING } } : {}),
        ...(index.projection === 'KEYS_ONLY'
          ? { projectionType: ProjectionType.KEYS_ONLY }
          : typeof index.projection === 'object'
            ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection.include] }
            : { projectionType: ProjectionType.ALL }),
      });
    }
    this.definitions.set(table, definition);
    return table;
  }
}
