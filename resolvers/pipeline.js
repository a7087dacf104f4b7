// Before/after handlers shared by every pipeline resolver: the functions do the work,
// the resolver returns what the last function produced. A function that must close
// subscriptions (banUser) stashes the requests: AppSync honours
// extensions.invalidateSubscriptions only in a resolver's response handler.
import { extensions } from '@aws-appsync/utils';

export function request() {
  return {};
}

export function response(ctx) {
  (ctx.stash.invalidate || []).forEach((invalidation) => extensions.invalidateSubscriptions(invalidation));
  return ctx.prev.result;
}
