// Before/after handlers shared by every pipeline resolver: the functions do the work,
// the resolver returns what the last function produced.
export function request() {
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
