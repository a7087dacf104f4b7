// import { util, runtime, extensions } from '@aws-appsync/utils'
import { appsync } from './runtime.mjs';

const mod = appsync.modules['@aws-appsync/utils'];
export const util = mod.util;
export const runtime = mod.runtime;
export const extensions = mod.extensions;
