// Exercises the runtime library broadly (util.*, util.time.*, util.dynamodb.*, util.transform.*,
// runtime, extensions and the @aws-appsync/utils/dynamodb helpers) so that
// test_node_fidelity.py can compare what QuickJS and Node's ES-module loader make of it.
import { util, runtime, extensions } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';
import { operations as ops, transactWrite } from '@aws-appsync/utils/dynamodb';

export function request(ctx) {
  extensions.setSubscriptionFilter(
    util.transform.toSubscriptionFilter(
      { roomId: { eq: ctx.args.roomId }, or: [{ sender: { eq: 'a' } }, { sender: { in: ['b', 'c'] } }] },
      ['ignored'],
    ),
  );
  extensions.setSubscriptionInvalidationFilter({ filterGroup: [{ filters: [{ fieldName: 'id', operator: 'eq', value: 1 }] }] });
  extensions.invalidateSubscriptions({ subscriptionField: 'onSendMessage', payload: { roomId: ctx.args.roomId } });
  extensions.evictFromApiCache('Query', 'getMessages', { 'ctx.args.roomId': ctx.args.roomId });
  util.appendError('appended', 'Warning', { a: 1 }, { b: [2] });
  util.http.addResponseHeader('x-one', '1');
  return {
    ids: [util.autoId(), util.autoUlid(), util.autoKsuid(), util.autoUlid()],
    time: [
      util.time.nowISO8601(),
      util.time.nowEpochSeconds(),
      util.time.nowEpochMilliSeconds(),
      util.time.nowFormatted('yyyy-MM-dd HH:mm:ss.SSS Z', '+05:30'),
      util.time.nowFormatted("EEEE d MMMM yyyy hh a 'at' xxx", 'UTC'),
      util.time.nowFormatted('EEE, dd MMM yy D XXX', '-08:00'),
      util.time.parseISO8601ToEpochMilliSeconds('2024-02-29T12:34:56.789Z'),
      util.time.parseISO8601ToEpochMilliSeconds('2024-02-29T12:34:56+02:00'),
      util.time.parseFormattedToEpochMilliSeconds('2024-02-29 12:34', 'yyyy-MM-dd HH:mm', '-03:00'),
      util.time.parseFormattedToEpochMilliSeconds('29 Feb 2024 01:02:03.5 PM', 'dd MMM yyyy hh:mm:ss.S a'),
      util.time.epochMilliSecondsToFormatted(1709210096789, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", '+01:00'),
      util.time.epochMilliSecondsToISO8601(0),
      util.time.epochMilliSecondsToSeconds(1709210096789),
    ],
    codecs: [
      util.base64Encode('héllo wörld ✓'),
      util.base64Decode(util.base64Encode('日本語 text')),
      util.urlEncode("a b&c=d/é!'()~*"),
      util.urlDecode('a+b%26c%C3%A9'),
      util.escapeJavaScript('quote " \' \n / \\ \t'),
    ],
    json: [JSON.parse('{"a":[1,2]}'), JSON.parse('{not json'), JSON.stringify(util.xml.toMap('<a><b>1</b><b>x</b></a>'))],
    str: [util.str.normalize('e\u0301', 'nfc'), util.str.normalize('\u00e9', 'NFD').length],
    math: [util.math.roundNum(2.5), util.math.roundNum(-2.5), util.math.minVal(1, 2), util.math.maxVal(1, 2)],
    matches: [util.matches('[a-z]+', 'abc'), util.matches('[a-z]+', 'abc1'), util.matches('a|b', 'b'), util.matches('x', null)],
    dynamodb: [
      util.dynamodb.toDynamoDB({ a: [1, 'x', null, true], b: { c: 2.5 }, u: undefined }),
      util.dynamodb.toMapValues({ pk: 'p', n: -0.5, list: [{ x: 1 }] }),
      util.dynamodb.toMap({ a: 1 }),
      util.dynamodb.toList([1, 'a']),
      util.dynamodb.toString('s'),
      util.dynamodb.toNumber(3),
      util.dynamodb.toBoolean(false),
      util.dynamodb.toBinary('YQ=='),
      util.dynamodb.toStringSet(['a', 'b']),
      util.dynamodb.toNumberSet([1, 2]),
      util.dynamodb.toBinarySet(['YQ==']),
      util.dynamodb.toNull(),
      util.dynamodb.toS3Object('key', 'bucket', 'region', 'v1'),
      util.dynamodb.fromS3ObjectJson(util.dynamodb.toS3Object('k', 'b', 'r').S),
    ],
    filter: util.transform.toDynamoDBFilterExpression({
      and: [{ a: { eq: 1 } }, { b: { between: [1, 2] } }],
      or: [{ c: { beginsWith: 'x' } }, { d: { attributeExists: false } }],
      e: { size: { gt: 3 } },
      f: { in: ['p', 'q'], ne: 'r' },
      g: { attributeType: 'stringSet' },
      not: { h: { contains: 'z' } },
    }),
    condition: util.transform.toDynamoDBConditionExpression({ version: { eq: 3 }, owner: { notContains: 'x' } }),
    helpers: [
      ddb.get({ key: { id: 'a' }, projection: ['x', 'y.z[0]', 'my-attr'], consistentRead: true }),
      ddb.put({ key: { id: 'a' }, item: { n: 1, s: 'x' }, condition: { n: { attributeExists: false } }, _version: 2 }),
      ddb.update({
        key: { id: 'a' },
        update: {
          n: ops.increment(2),
          m: ops.decrement(),
          tags: ops.append(['t']),
          first: ops.prepend(['f']),
          old: ops.remove(),
          gone: null,
          nested: { x: 1, y: ops.add(5) },
          name: 'z',
          list: [ops.updateListItem('v', 1)],
          rep: ops.replace({ k: 1 }),
        },
        condition: { n: { lt: 10 } },
      }),
      ddb.remove({ key: { id: 'a' }, condition: { id: { attributeExists: true } } }),
      ddb.query({
        query: { pk: { eq: 'p' }, sk: { beginsWith: 'MSG#' } },
        filter: { x: { ne: 1 } },
        limit: 5,
        scanIndexForward: false,
        index: 'gsi',
        nextToken: 'tok',
        projection: ['a'],
      }),
      ddb.scan({ limit: 2, segment: 0, totalSegments: 2, filter: { a: { gt: 1 } } }),
      ddb.sync({ basePartitionKey: 'b', deltaIndexName: 'd', lastSync: 5 }),
      ddb.batchGet({ tables: { t: { keys: [{ id: 'a' }, { id: 'b' }], consistentRead: true } } }),
      ddb.batchPut({ tables: { t: [{ id: 'a', n: 1 }] } }),
      ddb.batchDelete({ tables: { t: [{ id: 'a' }] } }),
      ddb.transactGet({ items: [{ table: 't', key: { id: 'a' }, projection: ['n'] }] }),
      transactWrite({
        items: [
          { putItem: { table: 't', key: { id: 'a' }, item: { n: 1 }, condition: { id: { attributeExists: false } } } },
          { updateItem: { table: 't', key: { id: 'b' }, update: { n: ops.increment(1) } } },
          { deleteItem: { table: 't', key: { id: 'c' } } },
          { conditionCheck: { table: 't', key: { id: 'd' }, condition: { n: { gt: 0 } } } },
        ],
      }),
      ddb.toStringSet(['x']),
      ddb.toNumberSet([1, 2]),
      ddb.toBinarySet(['YQ==']),
    ],
    authType: util.authType(),
    language: [
      [3, 1, 10, 2].sort(),
      JSON.stringify({ b: 1, a: [1.5, 1e21, 0.1 + 0.2, -0] }),
      (1234.5678).toFixed(2),
      'a-b-c'.split('-'),
      Object.keys({ b: 1, a: 2, 1: 3 }),
      `${ctx.args.roomId}`.endsWith('y'),
      Array(3).fill(0).map((_, i) => i * i),
      [1, [2, [3]]].flat(Infinity),
      Number('0x10'),
      parseInt('08', 10),
      String(new Date(Date.UTC(2024, 1, 29)).getUTCDay()),
    ],
  };
}

export function response(ctx) {
  if (ctx.args.roomId === 'early') {
    runtime.earlyReturn({ early: true, stash: ctx.stash }, { skipTo: 'END' });
  }
  if (ctx.args.roomId === 'unauthorized') {
    util.unauthorized();
  }
  if (ctx.args.roomId === 'limit') {
    [1, 2, 3, 4, 5, 6].forEach((n) => extensions.invalidateSubscriptions({ payload: { n } }));
  }
  return ctx.prev.result;
}
