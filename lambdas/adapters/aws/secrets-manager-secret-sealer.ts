import { CreateSecretCommand, DeleteSecretCommand, GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSealer } from '../../ports/notifications';

/**
 * Deployed, each subscription's secret is a Secrets Manager secret encrypted with the stage's KMS
 * key, named after its client and subscription (the API's role may create and delete only under
 * the stage's prefix; only the delivery function may read). What the subscription stores is the
 * secret's ARN, so a read of the Config table reveals no secret.
 */
export class SecretsManagerSecretSealer implements SecretSealer {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly settings: { namePrefix: string; kmsKeyId: string },
  ) {}

  async seal(secret: string, context: Record<string, string>): Promise<string> {
    const name = `${this.settings.namePrefix}${context.clientId}/${context.subscriptionId}`;
    const created = await this.client.send(
      new CreateSecretCommand({ Name: name, SecretString: secret, KmsKeyId: this.settings.kmsKeyId, Description: 'Job Schedule Manager webhook signing secret' }),
    );
    if (!created.ARN) throw new Error(`Secrets Manager created ${name} without an ARN`);
    return created.ARN;
  }

  async open(sealed: string): Promise<string> {
    const value = await this.client.send(new GetSecretValueCommand({ SecretId: sealed }));
    if (value.SecretString === undefined) throw new Error('the webhook secret has no value');
    return value.SecretString;
  }

  async discard(sealed: string): Promise<void> {
    await this.client.send(new DeleteSecretCommand({ SecretId: sealed, ForceDeleteWithoutRecovery: true }));
  }
}
