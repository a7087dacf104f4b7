// import { get, put, ... } from '@aws-appsync/utils/dynamodb'
import { appsync } from './runtime.mjs';

const mod = appsync.modules['@aws-appsync/utils/dynamodb'];
export const get = mod.get;
export const put = mod.put;
export const remove = mod.remove;
export const update = mod.update;
export const query = mod.query;
export const scan = mod.scan;
export const sync = mod.sync;
export const batchGet = mod.batchGet;
export const batchPut = mod.batchPut;
export const batchDelete = mod.batchDelete;
export const transactGet = mod.transactGet;
export const transactWrite = mod.transactWrite;
export const operations = mod.operations;
export const toStringSet = mod.toStringSet;
export const toNumberSet = mod.toNumberSet;
export const toBinarySet = mod.toBinarySet;
