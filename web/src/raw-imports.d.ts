// Vite's `?raw` imports: the file's text (schema/operations.graphql).
declare module '*.graphql?raw' {
  const text: string;
  export default text;
}
