// What the page says when a request fails: AppSync's errorType and message (e.g.
// "ValidationError: message must be 1-2,000 characters"), or the network failure.
import { CombinedGraphQLErrors } from '@apollo/client/errors';

interface AppSyncError {
  message?: string;
  errorType?: string;
}

export function errorText(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0] as AppSyncError | undefined;
    if (first?.message) {
      return first.errorType ? `${first.errorType}: ${first.message}` : first.message;
    }
  }
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
