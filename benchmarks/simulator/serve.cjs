// amplify-appsync-simulator serving benchmarks/simulator/schema.graphql, its DynamoDB data
// source on the endpoint given: `node serve.cjs PORT DYNAMODB_ENDPOINT TABLE`. Prints one JSON
// line ({graphqlUrl, realtimeUrl}) once it serves; stops on SIGTERM. Used by benchmarks/versus.py.
'use strict';
const fs = require('fs');
const path = require('path');
const { AmplifyAppSyncSimulator } = require('@aws-amplify/amplify-appsync-simulator');

const [port, endpoint, tableName] = process.argv.slice(2);
const template = (content) => ({ content });

// As the local stack's putMessage: one PutItem into the room's partition, the item returned.
const SEND_REQUEST = `
#set($id = $util.autoUlid())
#set($now = $util.time.nowISO8601())
{
  "version": "2018-05-29",
  "operation": "PutItem",
  "key": {
    "pk": $util.dynamodb.toDynamoDBJson("ROOM#$ctx.args.roomId"),
    "sk": $util.dynamodb.toDynamoDBJson("MSG#$now#$id")
  },
  "attributeValues": $util.dynamodb.toMapValuesJson({
    "roomId": $ctx.args.roomId, "messageId": $id, "message": $ctx.args.message, "sentAt": $now
  })
}`;
const QUERY_REQUEST = `{
  "version": "2018-05-29",
  "operation": "Query",
  "query": {
    "expression": "pk = :pk AND begins_with(sk, :msg)",
    "expressionValues": {
      ":pk": $util.dynamodb.toDynamoDBJson("ROOM#$ctx.args.roomId"),
      ":msg": $util.dynamodb.toDynamoDBJson("MSG#")
    }
  },
  "scanIndexForward": false,
  "limit": $util.defaultIfNull($ctx.args.limit, 20)
  #if($ctx.args.nextToken), "nextToken": "$ctx.args.nextToken"#end
}`;
const RESULT = '$util.toJson($ctx.result)';
const PAGE = '{"items": $util.toJson($ctx.result.items), "nextToken": $util.toJson($ctx.result.nextToken)}';

const simulator = new AmplifyAppSyncSimulator({ port: Number(port), wsPort: Number(port) });
simulator.init({
  schema: { content: fs.readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8') },
  appSync: {
    name: 'versus',
    // The simulator decodes the Cognito token without verifying it (its documented behaviour).
    defaultAuthenticationType: { authenticationType: 'AMAZON_COGNITO_USER_POOLS', cognitoUserPoolConfig: {} },
    additionalAuthenticationProviders: [],
  },
  dataSources: [{
    type: 'AMAZON_DYNAMODB', name: 'table',
    config: { endpoint, region: 'us-east-1', tableName, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
  }],
  mappingTemplates: [
    { path: 'send.req.vtl', content: SEND_REQUEST }, { path: 'result.vtl', content: RESULT },
    { path: 'query.req.vtl', content: QUERY_REQUEST }, { path: 'page.vtl', content: PAGE },
  ],
  resolvers: [
    { kind: 'UNIT', typeName: 'Mutation', fieldName: 'sendMessage', dataSourceName: 'table',
      requestMappingTemplateLocation: 'send.req.vtl', responseMappingTemplateLocation: 'result.vtl' },
    { kind: 'UNIT', typeName: 'Query', fieldName: 'getMessages', dataSourceName: 'table',
      requestMappingTemplateLocation: 'query.req.vtl', responseMappingTemplateLocation: 'page.vtl' },
  ],
});
simulator.start().then(() => {
  const graphqlUrl = `http://127.0.0.1:${port}/graphql`;
  process.stdout.write(JSON.stringify({ graphqlUrl, realtimeUrl: `ws://127.0.0.1:${port}/graphql/realtime` }) + '\n');
});
process.on('SIGTERM', () => simulator.stop().then(() => process.exit(0)));
