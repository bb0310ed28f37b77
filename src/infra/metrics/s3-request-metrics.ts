/**
 * The strategy's "Request Costs: track API usage" and "Data Transfer Costs: monitor
 * upload/download charges": every request the S3 client makes is counted by operation and by
 * how S3 prices it, and what GetObject sends back is counted as bytes downloaded (uploads into
 * S3 are free). A middleware on the client, so no caller can forget it; commands, not the SDK's
 * own retries.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { PgwardenMetrics, S3Pricing } from './backup-metrics';

const WRITES = /^(Put|Copy|Post|List|Create|Complete|UploadPart|Restore|Select)/;
const FREE = /^(Delete|AbortMultipartUpload)/;

/** How S3 prices an operation (DeleteObjects is a POST, but deletes are free). Pure. */
export function s3Pricing(operation: string): S3Pricing {
  if (FREE.test(operation)) return 'free';
  return WRITES.test(operation) ? 'put_copy_post_list' : 'get_and_other';
}

/** Counts each command `client` sends into `metrics`; returns the client. */
export function countS3Requests(client: S3Client, metrics: PgwardenMetrics): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const result = await next(args);
        const length = operation === 'GetObject' ? (result.output as { ContentLength?: number }).ContentLength : 0;
        metrics.s3Request(operation, s3Pricing(operation), length ?? 0);
        return result;
      } catch (err) {
        // A refused request is billed too.
        metrics.s3Request(operation, s3Pricing(operation), 0);
        throw err;
      }
    },
    { step: 'initialize', name: 'pgwardenS3RequestMetrics' },
  );
  return client;
}
