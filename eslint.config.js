// Lints resolvers/ with the AppSync plugin's full rule set (the rules that need type
// information included), so code the APPSYNC_JS runtime would reject fails here first.
import appsync from '@aws-appsync/eslint-plugin';

const recommended = appsync.configs.recommended;

export default [
  {
    ...recommended,
    files: ['resolvers/**/*.js'],
    languageOptions: {
      ...recommended.languageOptions,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
];
