import swaggerUiCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'text' };
import swaggerUiBundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'text' };

/** Text inlined in an HTML element must not end that element early. */
const inline = (text: string, element: 'script' | 'style') => text.replaceAll(`</${element}`, `<\\/${element}`);

/**
 * Swagger UI settings. `url` is relative, so the page finds /openapi.json beside /docs whatever the
 * base path; no validator badge, which would send the document to a public validation service.
 */
const SWAGGER_UI_SETTINGS = {
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
};

/**
 * The API reference page: Swagger UI with its script and stylesheet inlined, so the page needs
 * nothing but this API (no CDN, works offline), rendering the API's own /openapi.json.
 */
export function makeDocsPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>${inline(swaggerUiCss, 'style')}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script>${inline(swaggerUiBundle, 'script')}</script>
<script>window.ui = SwaggerUIBundle(${JSON.stringify(SWAGGER_UI_SETTINGS)});</script>
</body>
</html>
`;
}
