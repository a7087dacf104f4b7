// publishRoomEvent (IAM only, called by the moderation pipelines): a local resolver on the
// NONE data source; its result is what onRoomEvent subscribers receive.
export function request(ctx) {
  return { payload: { ...ctx.args.event, roomId: ctx.args.roomId } };
}

export function response(ctx) {
  const event = ctx.result;
  if (event.settings) {
    event.settings.roomId = event.roomId;
  }
  return event;
}
