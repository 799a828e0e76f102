import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { awsApi } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';

const api = awsApi();

/** The API is one `/{proxy+}` resource: the client is read from the path for the log lines. */
const CLIENT_PATH = /^\/v1\/clients\/([^/]+)/;

/** API Gateway (REST, proxy integration, IAM auth) → the HTTP API of lambdas/api/router.ts. */
export const handler = lambdaHandler('Api', (event: APIGatewayProxyEvent) => ({ clientId: CLIENT_PATH.exec(event.path)?.[1] }), (event): Promise<APIGatewayProxyResult> => api(event));
