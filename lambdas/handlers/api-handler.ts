import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { awsApi } from '../composition/aws-context';

/** API Gateway (REST, proxy integration, IAM auth) → the HTTP API of lambdas/api/router.ts. */
export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => awsApi()(event);
