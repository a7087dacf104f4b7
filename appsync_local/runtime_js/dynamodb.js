// The built-in module '@aws-appsync/utils/dynamodb': request builders for the DynamoDB data source.
(function () {
  'use strict';
  const util = globalThis.util;
  const toMapValues = util.dynamodb.toMapValues;
  const toDynamoDB = util.dynamodb.toDynamoDB;
  const OPERATION = '__appsyncDynamoDBOperation';

  function condition(filter) {
    if (filter === null || filter === undefined) return undefined;
    return globalThis.__appsync.toDynamoDBExpression(filter) || undefined;
  }

  function Names() {
    this.names = {};
    this.values = {};
    this.count = 0;
  }
  Names.prototype.name = function (attr) {
    const base = '#' + String(attr).replace(/[^A-Za-z0-9_]/g, '_');
    let nm = base; let n = 1;
    while (this.names[nm] !== undefined && this.names[nm] !== attr) { n += 1; nm = base + '_' + n; }
    this.names[nm] = attr;
    return nm;
  };
  Names.prototype.value = function (hint, v) {
    this.count += 1;
    const nm = ':' + String(hint).replace(/[^A-Za-z0-9_]/g, '_') + '_' + this.count;
    this.values[nm] = toDynamoDB(v);
    return nm;
  };

  function projection(list) {
    if (!list || !list.length) return undefined;
    const names = new Names();
    const expression = list.map(function (path) {
      return String(path).split('.').map(function (part) {
        const m = /^([^\[]+)((?:\[\d+\])*)$/.exec(part);
        if (!m) return names.name(part);
        return names.name(m[1]) + m[2];
      }).join('.');
    }).join(', ');
    return { expression: expression, expressionNames: names.names };
  }

  function isOp(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) && v[OPERATION] !== undefined; }
  function op(type, extra) { const o = { _type: type }; Object.defineProperty(o, OPERATION, { value: true });
    Object.keys(extra || {}).forEach(function (k) { o[k] = extra[k]; }); return o; }
  const operations = {
    add: function (payload) { return op('add', { payload: payload }); },
    remove: function () { return op('remove'); },
    replace: function (payload) { return op('replace', { payload: payload }); },
    increment: function (by) { return op('increment', { by: by === undefined ? 1 : by }); },
    decrement: function (by) { return op('decrement', { by: by === undefined ? 1 : by }); },
    append: function (payload) { return op('append', { payload: payload }); },
    prepend: function (payload) { return op('prepend', { payload: payload }); },
    updateListItem: function (payload, index) { return op('updateListItem', { payload: payload, index: index }); },
  };

  function updateExpression(update) {
    const names = new Names();
    const set = []; const add = []; const remove = [];
    function walk(obj, prefix, hint) {
      Object.keys(obj).forEach(function (attr) {
        const v = obj[attr];
        if (v === undefined) return;
        const path = (prefix ? prefix + '.' : '') + names.name(attr);
        const h = (hint ? hint + '_' : '') + attr;
        if (v === null) { remove.push(path); return; }
        if (isOp(v)) {
          switch (v._type) {
            case 'add': case 'replace': set.push(path + ' = ' + names.value(h, v.payload)); return;
            case 'remove': remove.push(path); return;
            case 'increment': add.push(path + ' ' + names.value(h, v.by)); return;
            case 'decrement': add.push(path + ' ' + names.value(h, -v.by)); return;
            case 'append': set.push(path + ' = list_append(' + path + ', ' + names.value(h, v.payload) + ')'); return;
            case 'prepend': set.push(path + ' = list_append(' + names.value(h, v.payload) + ', ' + path + ')'); return;
            default: throw new Error('operation ' + v._type + ' is not valid here');
          }
        }
        if (Array.isArray(v) && v.length && v.every(isOp)) {
          v.forEach(function (item) {
            if (item._type !== 'updateListItem') throw new Error('a list of operations must use updateListItem');
            set.push(path + '[' + item.index + '] = ' + names.value(h, item.payload));
          });
          return;
        }
        if (typeof v === 'object' && !Array.isArray(v) && prefix === null) { walk(v, path, h); return; }
        if (typeof v === 'object' && !Array.isArray(v)) { walk(v, path, h); return; }
        set.push(path + ' = ' + names.value(h, v));
      });
    }
    walk(update || {}, null, '');
    const clauses = [];
    if (set.length) clauses.push('SET ' + set.join(', '));
    if (add.length) clauses.push('ADD ' + add.join(', '));
    if (remove.length) clauses.push('REMOVE ' + remove.join(', '));
    const out = { expression: clauses.join(' ') };
    if (Object.keys(names.names).length) out.expressionNames = names.names;
    if (Object.keys(names.values).length) out.expressionValues = names.values;
    return out;
  }

  function compact(obj) {
    Object.keys(obj).forEach(function (k) { if (obj[k] === undefined || obj[k] === null) delete obj[k]; });
    return obj;
  }
  function versioned(req, p) {
    req.customPartitionKey = p.customPartitionKey;
    req.populateIndexFields = p.populateIndexFields;
    req._version = p._version;
    return compact(req);
  }

  function get(p) {
    return compact({ operation: 'GetItem', key: toMapValues(p.key), consistentRead: p.consistentRead,
      projection: projection(p.projection) });
  }
  function put(p) {
    return versioned({ operation: 'PutItem', key: toMapValues(p.key), attributeValues: toMapValues(p.item || {}),
      condition: condition(p.condition) }, p);
  }
  function remove(p) {
    return versioned({ operation: 'DeleteItem', key: toMapValues(p.key), condition: condition(p.condition) }, p);
  }
  function update(p) {
    return versioned({ operation: 'UpdateItem', key: toMapValues(p.key), update: updateExpression(p.update),
      condition: condition(p.condition) }, p);
  }
  function scanLike(operation, p) {
    return compact({ operation: operation, index: p.index, limit: p.limit, nextToken: p.nextToken,
      consistentRead: p.consistentRead, select: p.select, filter: condition(p.filter),
      projection: projection(p.projection), totalSegments: p.totalSegments, segment: p.segment,
      scanIndexForward: operation === 'Query' ? p.scanIndexForward : undefined });
  }
  function query(p) {
    const req = scanLike('Query', p);
    req.query = globalThis.__appsync.toDynamoDBExpression(p.query);
    return req;
  }
  function scan(p) { return scanLike('Scan', p); }
  function sync(p) {
    return compact({ operation: 'Sync', basePartitionKey: p.basePartitionKey, deltaIndexName: p.deltaIndexName,
      limit: p.limit, nextToken: p.nextToken, lastSync: p.lastSync, filter: condition(p.filter) });
  }
  function mapTables(tables, fn) {
    const out = {};
    Object.keys(tables || {}).forEach(function (t) { out[t] = fn(tables[t]); });
    return out;
  }
  function batchGet(p) {
    return { operation: 'BatchGetItem', tables: mapTables(p.tables, function (t) {
      return compact({ keys: t.keys.map(toMapValues), consistentRead: t.consistentRead,
        projection: projection(t.projection) });
    }) };
  }
  function batchPut(p) {
    return { operation: 'BatchPutItem', tables: mapTables(p.tables, function (items) { return items.map(toMapValues); }) };
  }
  function batchDelete(p) {
    return { operation: 'BatchDeleteItem', tables: mapTables(p.tables, function (keys) { return keys.map(toMapValues); }) };
  }
  function transactGet(p) {
    return { operation: 'TransactGetItems', transactItems: p.items.map(function (i) {
      return compact({ table: i.table, key: toMapValues(i.key), projection: projection(i.projection) });
    }) };
  }
  function transactWrite(p) {
    return { operation: 'TransactWriteItems', transactItems: p.items.map(function (i) {
      if (i.putItem) {
        const x = i.putItem;
        return compact({ table: x.table, operation: 'PutItem', key: toMapValues(x.key),
          attributeValues: toMapValues(x.item || {}), condition: condition(x.condition) });
      }
      if (i.updateItem) {
        const x = i.updateItem;
        return compact({ table: x.table, operation: 'UpdateItem', key: toMapValues(x.key),
          update: updateExpression(x.update), condition: condition(x.condition) });
      }
      if (i.deleteItem) {
        const x = i.deleteItem;
        return compact({ table: x.table, operation: 'DeleteItem', key: toMapValues(x.key),
          condition: condition(x.condition) });
      }
      if (i.conditionCheck) {
        const x = i.conditionCheck;
        return compact({ table: x.table, operation: 'ConditionCheck', key: toMapValues(x.key),
          condition: condition(x.condition) });
      }
      throw new Error('transactWrite items need putItem, updateItem, deleteItem or conditionCheck');
    }) };
  }

  globalThis.__appsync.modules['@aws-appsync/utils/dynamodb'] = {
    get: get, put: put, remove: remove, update: update, query: query, scan: scan, sync: sync,
    batchGet: batchGet, batchPut: batchPut, batchDelete: batchDelete, transactGet: transactGet,
    transactWrite: transactWrite, operations: operations,
    toStringSet: function (list) { return { SS: list.map(String) }; },
    toNumberSet: function (numbers) { return { NS: numbers.map(String) }; },
    toBinarySet: function (values) { return { BS: values.map(String) }; },
  };
})();
