import { Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/composition/env-names';
import type { DataLifecycle } from '../config/stage-config';

export interface CoreBillingConnectionProps {
  readonly stageName: string;
  /** Base URL of core billing's API (SYNC_TRANSACTIONS posts to `<endpoint>/transactions/batch`). */
  readonly endpoint: string;
  /**
   * Name of an existing secret that holds core billing's API key (the key itself, or JSON
   * `{"apiKey": "..."}`).
   * @default a secret created by the stack, `job-schedule-manager/<stage>/core-billing`, holding a
   * random placeholder until an operator puts the key core billing issued
   */
  readonly secretName?: string;
  /** Whether a created secret outlives the stack. */
  readonly lifecycle: DataLifecycle;
}

/**
 * How the stage reaches core billing: its endpoint and the secret with its API key. The key is
 * never in the repository or the template: the stack creates an empty-handed secret (or
 * references one an operator made), and only the worker, which syncs transactions, may read it.
 */
export class CoreBillingConnection extends Construct {
  readonly endpoint: string;
  readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: CoreBillingConnectionProps) {
    super(scope, id);
    this.endpoint = props.endpoint;
    if (props.secretName) {
      this.secret = Secret.fromSecretNameV2(this, 'ApiKey', props.secretName);
    } else {
      const secret = new Secret(this, 'ApiKey', {
        secretName: `job-schedule-manager/${props.stageName}/core-billing`,
        description: `Core billing API key for SYNC_TRANSACTIONS (${props.stageName}): put the key core billing issued, as {"apiKey": "..."}; a random placeholder until then`,
        generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'apiKey', excludePunctuation: true, passwordLength: 40 },
        removalPolicy: props.lifecycle.removalPolicy,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The key is issued by core billing, an external system, and rotated there; an operator puts the new key in this secret. The worker re-reads it every 5 minutes and at once after a 401, so there is nothing for a Secrets Manager rotation function to do.',
      });
      this.secret = secret;
    }
  }

  /** The worker's environment: where core billing is and which secret holds its key. */
  get environment(): Record<string, string> {
    return { [ENV.coreBillingUrl]: this.endpoint, [ENV.coreBillingSecretId]: this.secret.secretArn };
  }

  grantRead(grantee: IGrantable): void {
    this.secret.grantRead(grantee);
  }
}
