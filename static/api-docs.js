// Render the OpenAPI document named by the page's #swagger-ui element with Swagger UI.
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: root.dataset.url,
  domNode: root,
  deepLinking: true,
  presets: [window.SwaggerUIBundle.presets.apis],
});
