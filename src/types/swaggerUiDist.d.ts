// swagger-ui-dist's browser bundle and stylesheet, imported as text (`with { type: 'text' }`: esbuild's
// text loader when bundling, tests/textTransform.cjs in tests) and served by GET /docs.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const text: string;
  export default text;
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const text: string;
  export default text;
}
