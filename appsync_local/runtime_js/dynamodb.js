// The built-in module '@aws-appsync/utils/dynamodb': request builders for the DynamoDB data source.
(function () {
  'use strict';
  const util = globalThis.util;
  const toMapValues = util.dynamodb.toMapValues;
  const toDynamoDB = util.dynamodb.toDynamoDB;

  function condition(filter) {
    if (filter === null || filter === undefined) return undefined;
    const out = globalThis.__appsync.toDynamoDBExpression(filter);
    if (out === null) throw new Error('the filter/condition object cannot be rendered: ' + JSON.stringify(filter));
    if (!out.expression) return undefined;
    if (!Object.keys(out.expressionNames).length) delete out.expressionNames;
    if (!Object.keys(out.expressionValues).length) delete out.expressionValues;
    return out;
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

  // Operation markers, shaped as AppSync's: { type: 'OPERATION_INCREMENT', by: 1 } etc.
  const OPERATION_TYPES = ['OPERATION_ADD', 'OPERATION_REMOVE', 'OPERATION_REPLACE', 'OPERATION_INCREMENT',
    'OPERATION_DECREMENT', 'OPERATION_APPEND', 'OPERATION_PREPEND', 'OPERATION_UPDATE_LIST_ITEM'];
  function isOp(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v) && OPERATION_TYPES.indexOf(v.type) >= 0;
  }
  function listItem(payload, index) {
    // AppSync answers an opaque marker here (no enumerable keys); only update() reads it.
    const o = {};
    Object.defineProperty(o, 'type', { value: 'OPERATION_UPDATE_LIST_ITEM' });
    Object.defineProperty(o, 'value', { value: payload });
    Object.defineProperty(o, 'index', { value: index });
    return o;
  }
  const operations = {
    add: function (value) { return { type: 'OPERATION_ADD', value: value }; },
    remove: function () { return { type: 'OPERATION_REMOVE' }; },
    replace: function (value) { return { type: 'OPERATION_REPLACE', value: value }; },
    increment: function (by) { return { type: 'OPERATION_INCREMENT', by: by === undefined ? 1 : by }; },
    decrement: function (by) { return { type: 'OPERATION_DECREMENT', by: by === undefined ? 1 : by }; },
    append: function (items) { return { type: 'OPERATION_APPEND', items: items }; },
    prepend: function (items) { return { type: 'OPERATION_PREPEND', items: items }; },
    updateListItem: listItem,
  };

  // AppSync's update expression: SET clauses first, then REMOVE; names (#expName_N, one per
  // attribute name) and values (:expValue_N) are numbered in the order the clauses come out;
  // increment/decrement are `SET #a = #a + :v` (they fail on a missing attribute, as on AWS).
  function updateExpression(update) {
    const set = []; const remove = [];
    function walk(obj, path) {
      Object.keys(obj).forEach(function (attr) {
        const v = obj[attr];
        if (v === undefined) return;
        const p = path.concat([attr]);
        if (isOp(v)) {
          switch (v.type) {
            case 'OPERATION_ADD': case 'OPERATION_REPLACE': set.push({ path: p, parts: ['=', v.value] }); return;
            case 'OPERATION_REMOVE': remove.push({ path: p }); return;
            case 'OPERATION_INCREMENT': set.push({ path: p, parts: ['+', v.by] }); return;
            case 'OPERATION_DECREMENT': set.push({ path: p, parts: ['-', v.by] }); return;
            case 'OPERATION_APPEND': set.push({ path: p, parts: ['append', v.items] }); return;
            case 'OPERATION_PREPEND': set.push({ path: p, parts: ['prepend', v.items] }); return;
            default: throw new Error('ddb.operations.updateListItem must be inside a list: { attr: [operations.updateListItem(value, index)] }');
          }
        }
        if (Array.isArray(v) && v.length && v.every(isOp)) {
          v.forEach(function (item) {
            if (item.type !== 'OPERATION_UPDATE_LIST_ITEM') throw new Error('a list of operations must use updateListItem');
            set.push({ path: p, index: item.index, parts: ['=', item.value] });
          });
          return;
        }
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) { walk(v, p); return; }
        set.push({ path: p, parts: ['=', v] });
      });
    }
    walk(update || {}, []);
    const names = {}; const aliases = {}; const values = {};
    let nameCount = 0; let valueCount = 0;
    function name(attr) {
      if (!Object.prototype.hasOwnProperty.call(aliases, attr)) {
        nameCount += 1; aliases[attr] = '#expName_' + nameCount; names[aliases[attr]] = attr;
      }
      return aliases[attr];
    }
    function value(v) { valueCount += 1; const n = ':expValue_' + valueCount; values[n] = toDynamoDB(v); return n; }
    function target(entry) {
      return entry.path.map(name).join('.') + (entry.index === undefined ? '' : '[' + entry.index + ']');
    }
    const clauses = [];
    if (set.length) {
      clauses.push('SET ' + set.map(function (e) {
        const t = target(e); const kind = e.parts[0];
        if (kind === '+' || kind === '-') return t + ' = ' + t + ' ' + kind + ' ' + value(e.parts[1]);
        if (kind === 'append') return t + ' = list_append(' + t + ', ' + value(e.parts[1]) + ')';
        if (kind === 'prepend') return t + ' = list_append(' + value(e.parts[1]) + ', ' + t + ')';
        return t + ' = ' + value(e.parts[1]);
      }).join(', '));
    }
    if (remove.length) clauses.push('REMOVE ' + remove.map(target).join(', '));
    const out = { expression: clauses.join(' ') };
    if (nameCount) out.expressionNames = names;
    if (valueCount) out.expressionValues = values;
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
    req.query = condition(p.query);
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
